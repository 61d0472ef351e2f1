# Reference values for time units (src/Outcomes.Statistics/MixedModel.cs scales time internally).
# Run from the repository root:  Rscript analytics/validation/lmm_units.R
#
# Reads analytics/validation/lmm_sleepstudy.csv (written by lmm.R) and writes lmm_units_expected.csv,
# key,value, for outcome ~ time + (time | subject) by REML with time in seconds (sleepstudy's days x 86400):
#   sleepstudy_seconds.slope.<quantity>   the expected fit: the per-day lmer fit (as lmm.R) rewritten in
#       seconds. The model is the same, so the slope and its standard error are the per-day ones / 86400, the
#       slope variance / 86400^2, the covariance / 86400; the intercept, its variance and the residual variance
#       do not change, and the REML log-likelihood is lower by log(86400) (the Jacobian of the time column in
#       log|X'V^-1 X|).
#   nlme_seconds.slope.<quantity>         nlme::lme fitted to the seconds directly (optim), which reaches the
#       same optimum: an independent check of the rewritten values.
#   lme4_seconds.slope.<quantity>         lmer fitted to the seconds directly, for the record: even with the
#       tightened optimiser it stops short of the optimum (lower log-likelihood, covariance of the wrong sign).
# The script prints how far each direct fit is from the expected one.

suppressMessages(library(lme4))

out_dir <- file.path("analytics", "validation")
if (!dir.exists(out_dir)) stop("run from the repository root: ", out_dir, " not found")

tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-15, xtol_rel = 1e-14,
                                    ftol_rel = 1e-15, maxeval = 1e5),
                     check.conv.singular = "ignore", check.conv.grad = "ignore",
                     check.scaleX = "ignore")

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
expected <- list()
put <- function(key, value) expected[[key]] <<- value

sleep <- read.csv(file.path(out_dir, "lmm_sleepstudy.csv"), colClasses = c(subject = "character"))
sleep$subject <- factor(sleep$subject)

record <- function(prefix, d) {
  fit <- lmer(outcome ~ time + (time | subject), data = d, REML = TRUE, control = tight)
  beta <- fixef(fit)
  se <- sqrt(diag(as.matrix(vcov(fit))))
  names_ours <- names(beta)
  for (i in seq_along(beta)) {
    put(paste0(prefix, "estimate.", names_ours[i]), beta[[i]])
    put(paste0(prefix, "se.", names_ours[i]), se[[i]])
  }
  vc <- VarCorr(fit)$subject
  put(paste0(prefix, "variance.intercept"), vc[1, 1])
  put(paste0(prefix, "variance.slope"), vc[2, 2])
  put(paste0(prefix, "variance.covariance"), vc[1, 2])
  put(paste0(prefix, "variance.residual"), sigma(fit)^2)
  put(paste0(prefix, "logLik"), as.numeric(logLik(fit)))
  put(paste0(prefix, "singular"), as.numeric(isSingular(fit)))
  fit
}

days <- record("sleepstudy_days.slope.", sleep)
seconds_per_day <- 86400
lme4_seconds <- record("lme4_seconds.slope.", transform(sleep, time = time * seconds_per_day))

# The expected fit in seconds, rewritten from the per-day fit.
vc <- VarCorr(days)$subject
prefix <- "sleepstudy_seconds.slope."
put(paste0(prefix, "estimate.(Intercept)"), fixef(days)[["(Intercept)"]])
put(paste0(prefix, "se.(Intercept)"), sqrt(vcov(days)[1, 1]))
put(paste0(prefix, "estimate.time"), fixef(days)[["time"]] / seconds_per_day)
put(paste0(prefix, "se.time"), sqrt(vcov(days)[2, 2]) / seconds_per_day)
put(paste0(prefix, "variance.intercept"), vc[1, 1])
put(paste0(prefix, "variance.slope"), vc[2, 2] / seconds_per_day^2)
put(paste0(prefix, "variance.covariance"), vc[1, 2] / seconds_per_day)
put(paste0(prefix, "variance.residual"), sigma(days)^2)
put(paste0(prefix, "logLik"), as.numeric(logLik(days)) - log(seconds_per_day))

suppressMessages(library(nlme))
nlme_seconds <- lme(outcome ~ time, random = ~ time | subject, method = "REML",
                    data = transform(sleep, time = time * seconds_per_day),
                    control = lmeControl(opt = "optim", maxIter = 1000, msMaxIter = 1000))
vn <- getVarCov(nlme_seconds)
prefix <- "nlme_seconds.slope."
put(paste0(prefix, "estimate.(Intercept)"), fixef(nlme_seconds)[["(Intercept)"]])
put(paste0(prefix, "se.(Intercept)"), sqrt(vcov(nlme_seconds)[1, 1]))
put(paste0(prefix, "estimate.time"), fixef(nlme_seconds)[["time"]])
put(paste0(prefix, "se.time"), sqrt(vcov(nlme_seconds)[2, 2]))
put(paste0(prefix, "variance.intercept"), vn[1, 1])
put(paste0(prefix, "variance.slope"), vn[2, 2])
put(paste0(prefix, "variance.covariance"), vn[1, 2])
put(paste0(prefix, "variance.residual"), nlme_seconds$sigma^2)
put(paste0(prefix, "logLik"), as.numeric(logLik(nlme_seconds)))

for (direct in c("nlme_seconds", "lme4_seconds")) {
  cat(sprintf("%s vs expected, relative differences:", direct))
  for (q in c("estimate.time", "variance.slope", "variance.covariance", "variance.residual", "logLik")) {
    e <- expected[[paste0("sleepstudy_seconds.slope.", q)]]
    cat(sprintf(" %s %.1e", q, abs(expected[[paste0(direct, ".slope.", q)]] / e - 1)))
  }
  cat("\n")
}

keys <- names(expected)
keys <- keys[!startsWith(keys, "sleepstudy_days.")]
values <- vapply(expected[keys], function(v) fmt(v), character(1))
writeLines(c("key,value", paste0(keys, ",", values)), file.path(out_dir, "lmm_units_expected.csv"))
cat("wrote", length(keys), "expected values\n")
