# Reference values for the linear mixed model (src/Outcomes.Statistics/MixedModel.cs).
# Run from the repository root:  Rscript analytics/validation/lmm.R
#
# Writes into analytics/validation/:
#   lmm_sleepstudy.csv        lme4::sleepstudy as subject,time,outcome (Subject, Days, Reaction)
#   lmm_phq9_complete.csv     simulated PHQ-9 trajectories, every weekly visit 0..8 attended
#   lmm_phq9_missing.csv      the same patients with dropout and skipped visits
#   lmm_singular.csv          data whose random-slope fit lies on the boundary (singular)
#   lmm_expected.csv          key,value: <dataset>.<model>.<quantity>
#
# Models: "intercept" = outcome ~ time + (1 | subject), "slope" = outcome ~ time + (time | subject),
# "slope_group" (PHQ-9 with missing visits only) = outcome ~ time + group + time:group + (time | subject).
# All fits are REML (lmer's default). The optimiser's tolerances are tightened: lmer's defaults
# (nloptwrap, xtol_abs = ftol_abs = 1e-8 on a flat optimum) stop about 1e-5 relative away from the
# optimum in theta, which moves the standard errors by ~1e-5 relative, more than the 1e-6 the tests
# demand. The tight fit is the same estimator, only taken to its optimum; the script prints how far
# the default fit was from it.

suppressMessages(library(lme4))

out_dir <- file.path("analytics", "validation")
if (!dir.exists(out_dir)) stop("run from the repository root: ", out_dir, " not found")

tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-15, xtol_rel = 1e-14,
                                    ftol_rel = 1e-15, maxeval = 1e5),
                     check.conv.singular = "ignore")

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
expected <- list()
put <- function(key, value) expected[[key]] <<- value

write_data <- function(d, file) {
  write.csv(d, file.path(out_dir, file), row.names = FALSE, quote = FALSE)
}

record <- function(dataset, model, formula, d) {
  d$subject <- factor(d$subject)
  fit <- lmer(formula, data = d, REML = TRUE, control = tight)
  default_fit <- suppressMessages(suppressWarnings(lmer(formula, data = d, REML = TRUE)))
  cat(sprintf("%-14s %-12s logLik %.10f  max relative theta change vs default lmer %.2e\n",
              dataset, model, as.numeric(logLik(fit)),
              max(abs(getME(fit, "theta") - getME(default_fit, "theta")) /
                    pmax(abs(getME(fit, "theta")), 1e-3))))
  prefix <- paste0(dataset, ".", model, ".")
  beta <- fixef(fit)
  se <- sqrt(diag(as.matrix(vcov(fit))))
  names_ours <- sub("^Days$", "time", names(beta))
  for (i in seq_along(beta)) {
    put(paste0(prefix, "estimate.", names_ours[i]), beta[[i]])
    put(paste0(prefix, "se.", names_ours[i]), se[[i]])
  }
  V <- as.matrix(vcov(fit))
  for (i in seq_along(beta)) for (j in seq_along(beta))
    put(paste0(prefix, "vcov.", names_ours[i], ".", names_ours[j]), V[i, j])
  vc <- VarCorr(fit)$subject
  put(paste0(prefix, "variance.intercept"), vc[1, 1])
  put(paste0(prefix, "variance.slope"), if (ncol(vc) > 1) vc[2, 2] else NA)
  put(paste0(prefix, "variance.covariance"), if (ncol(vc) > 1) vc[1, 2] else NA)
  put(paste0(prefix, "variance.residual"), sigma(fit)^2)
  put(paste0(prefix, "logLik"), as.numeric(logLik(fit)))
  put(paste0(prefix, "reml"), unname(getME(fit, "devcomp")$cmp["REML"]))
  theta <- getME(fit, "theta")
  for (i in seq_along(theta)) put(paste0(prefix, "theta.", i), theta[[i]])
  put(paste0(prefix, "nobs"), nobs(fit))
  put(paste0(prefix, "ngroups"), ngrps(fit)[["subject"]])
  put(paste0(prefix, "singular"), as.numeric(isSingular(fit)))
  re <- ranef(fit)$subject
  for (s in rownames(re)) {
    put(paste0(prefix, "ranef.", s, ".intercept"), re[s, 1])
    if (ncol(re) > 1) put(paste0(prefix, "ranef.", s, ".slope"), re[s, 2])
  }
  invisible(fit)
}

# --- lme4::sleepstudy ---------------------------------------------------------------------------
sleep <- data.frame(subject = as.character(sleepstudy$Subject), time = sleepstudy$Days,
                    outcome = sleepstudy$Reaction)
write_data(sleep, "lmm_sleepstudy.csv")
record("sleepstudy", "intercept", outcome ~ time + (1 | subject), sleep)
record("sleepstudy", "slope", outcome ~ time + (time | subject), sleep)

# --- simulated PHQ-9 trajectories ---------------------------------------------------------------
# 200 patients, weekly visits 0..8; baseline ~ 18 (sd 3.5), slope ~ -1.2 / week (sd 0.6), their
# correlation -0.3; half the patients in group 1 improve 0.3 / week more slowly; noise sd 2.5;
# totals clipped to the PHQ-9 range 0..27 and rounded.
set.seed(20240917)
patients <- 200
weeks <- 0:8
sd_b <- c(3.5, 0.6)
rho <- -0.3
cov_b <- diag(sd_b) %*% matrix(c(1, rho, rho, 1), 2) %*% diag(sd_b)
b <- MASS::mvrnorm(patients, mu = c(0, 0), Sigma = cov_b)
group <- rbinom(patients, 1, 0.5)
ids <- sprintf("P%03d", seq_len(patients))
phq <- expand.grid(week = weeks, patient = seq_len(patients))
raw <- 18 + b[phq$patient, 1] +
  (-1.2 + 0.3 * group[phq$patient] + b[phq$patient, 2]) * phq$week +
  rnorm(nrow(phq), 0, 2.5)
complete <- data.frame(subject = ids[phq$patient], time = phq$week,
                       outcome = round(pmin(27, pmax(0, raw))), group = group[phq$patient])
write_data(complete, "lmm_phq9_complete.csv")

# Dropout: 35% of patients leave after a uniformly chosen week 0..6; skipped visits: each
# post-baseline visit before dropout is missed with probability 0.15. Baseline is always present.
last_week <- ifelse(runif(patients) < 0.35, sample(0:6, patients, replace = TRUE), 8)
skipped <- runif(nrow(complete)) < 0.15 & complete$time > 0
kept <- complete$time <= last_week[phq$patient] & !skipped
missing <- complete[kept, ]
write_data(missing, "lmm_phq9_missing.csv")

for (ds in list(list("phq9_complete", complete), list("phq9_missing", missing))) {
  record(ds[[1]], "intercept", outcome ~ time + (1 | subject), ds[[2]])
  record(ds[[1]], "slope", outcome ~ time + (time | subject), ds[[2]])
}
record("phq9_missing", "slope_group", outcome ~ time + group + time:group + (time | subject), missing)

# --- a boundary (singular) fit -------------------------------------------------------------------
# 30 patients, 5 visits, every patient improving at the same rate: the random-slope fit puts the
# intercept-slope correlation on the boundary (theta[3] = 0, correlation +-1), as lme4 reports with isSingular.
set.seed(3)
sing_patients <- 30
sing <- expand.grid(time = 0:4, patient = seq_len(sing_patients))
sing_b0 <- rnorm(sing_patients, 0, 3)
sing$outcome <- round(16 + sing_b0[sing$patient] - 1.0 * sing$time + rnorm(nrow(sing), 0, 2), 1)
sing <- data.frame(subject = sprintf("S%02d", sing$patient), time = sing$time, outcome = sing$outcome)
write_data(sing, "lmm_singular.csv")
record("singular", "intercept", outcome ~ time + (1 | subject), sing)
sfit <- record("singular", "slope", outcome ~ time + (time | subject), sing)
if (!isSingular(sfit)) stop("the boundary example is not singular: choose another seed")

keys <- names(expected)
values <- vapply(expected, function(v) fmt(v), character(1))
writeLines(c("key,value", paste0(keys, ",", values)), file.path(out_dir, "lmm_expected.csv"))
cat("wrote", length(keys), "expected values\n")
