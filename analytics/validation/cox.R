# Reference values for Outcomes.Statistics.CoxRegression from survival::coxph.
# Run from the repository root: Rscript analytics/validation/cox.R
# Writes the data it fitted (cox_lung.csv, cox_aml.csv, cox_ties.csv, cox_degenerate.csv)
# and the expected values (cox_expected.csv, long format key,value, 17 significant digits).
suppressPackageStartupMessages(library(survival))

out <- "analytics/validation"
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
keys <- character(0)
vals <- character(0)
put <- function(key, value) {
  keys <<- c(keys, key)
  vals <<- c(vals, fmt(value))
}

# Everything the C# result exposes, under "<model>.<ties>.".
# A coefficient R reports as NA (aliased or constant column) has NA se, z, p and limits too.
emit <- function(model, fit, conf.level = 0.95) {
  p <- paste0(model, ".", fit$method, ".")
  s <- summary(fit, conf.int = conf.level)
  beta <- coef(fit)
  se <- ifelse(is.na(beta), NA, sqrt(diag(fit$var)))
  z <- beta / se
  q <- qnorm((1 + conf.level) / 2)
  df <- sum(!is.na(beta))
  put(paste0(p, "n"), fit$n)
  put(paste0(p, "events"), fit$nevent)
  put(paste0(p, "iterations"), fit$iter)
  put(paste0(p, "loglik0"), fit$loglik[1])
  put(paste0(p, "loglik"), fit$loglik[2])
  for (i in seq_along(beta)) {
    nm <- names(beta)[i]
    put(paste0(p, "coef.", nm), beta[i])
    put(paste0(p, "hr.", nm), exp(beta[i]))
    put(paste0(p, "se.", nm), se[i])
    put(paste0(p, "z.", nm), z[i])
    put(paste0(p, "p.", nm), pchisq(z[i]^2, 1, lower.tail = FALSE))
    put(paste0(p, "lower.", nm), exp(beta[i] - q * se[i]))
    put(paste0(p, "upper.", nm), exp(beta[i] + q * se[i]))
  }
  for (i in seq_along(beta)) for (j in seq_along(beta))
    put(paste0(p, "var.", names(beta)[i], ".", names(beta)[j]),
        if (is.na(beta[i]) || is.na(beta[j])) NA else fit$var[i, j])
  # summary() rounds the printed Wald statistic to 2 decimals; the fit keeps it exact.
  put(paste0(p, "wald.chisq"), fit$wald.test)
  put(paste0(p, "wald.df"), df)
  put(paste0(p, "wald.p"), pchisq(fit$wald.test, df, lower.tail = FALSE))
  put(paste0(p, "lr.chisq"), s$logtest[["test"]])
  put(paste0(p, "lr.df"), s$logtest[["df"]])
  put(paste0(p, "lr.p"), s$logtest[["pvalue"]])
  put(paste0(p, "score.chisq"), s$sctest[["test"]])
  put(paste0(p, "score.df"), s$sctest[["df"]])
  put(paste0(p, "score.p"), s$sctest[["pvalue"]])
}
both <- function(model, formula, data, conf.level = 0.95) {
  for (ties in c("efron", "breslow"))
    emit(model, coxph(formula, data = data, ties = ties), conf.level)
}

# 1. survival::lung, complete cases; status recoded 0 = censored, 1 = died.
lung_data <- na.omit(lung[, c("time", "status", "age", "sex", "ph.ecog")])
lung_data$status <- lung_data$status - 1
write.csv(lung_data, file.path(out, "cox_lung.csv"), row.names = FALSE, quote = FALSE)
both("lung", Surv(time, status) ~ age + sex + ph.ecog, lung_data)
# The same data with sex and ph.ecog as factors (levels sorted: female and 0 are the references).
lung_factor <- transform(lung_data,
                         sex = factor(ifelse(sex == 1, "male", "female")),
                         ph.ecog = factor(ph.ecog))
both("lungfactor", Surv(time, status) ~ age + sex + ph.ecog, lung_factor)
emit("lungfactor90", coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung_factor), 0.90)

# 2. survival::aml, x is a factor (Maintained, Nonmaintained).
aml_data <- aml[, c("time", "status", "x")]
write.csv(aml_data, file.path(out, "cox_aml.csv"), row.names = FALSE, quote = FALSE)
both("aml", Surv(time, status) ~ x, aml_data)

# 3. Simulated: 400 subjects, event times on 8 distinct weeks (heavy ties), a numeric,
#    a binary and a 3-level factor covariate.
set.seed(20240601)
n <- 400
age <- round(rnorm(n, 45, 12), 1)
male <- rbinom(n, 1, 0.4)
modality <- sample(c("iv", "im", "nasal"), n, replace = TRUE, prob = c(0.5, 0.2, 0.3))
eta <- 0.02 * (age - 45) + 0.4 * male + ifelse(modality == "nasal", -0.5, ifelse(modality == "im", 0.3, 0))
latent <- rexp(n, 0.25 * exp(eta))
censor <- runif(n, 1, 12)
time <- pmin(ceiling(pmin(latent, censor)), 8)
status <- as.integer(latent <= censor & latent <= 8)
ties_data <- data.frame(time = time, status = status, age = age, male = male, modality = modality)
write.csv(ties_data, file.path(out, "cox_ties.csv"), row.names = FALSE, quote = FALSE)
both("ties", Surv(time, status) ~ age + male + modality, ties_data)

# 4. Degenerate designs: a constant column and an aliased column (R: NA coefficient),
#    every subject at the same time, and every subject dying at the same time.
degenerate <- data.frame(time = 1:6, tiedtime = 5, status = c(1, 0, 1, 1, 0, 1), died = 1,
                         x = c(2, 1, 4, 3, 7, 5), k = 3)
degenerate$z <- 2 * degenerate$x + 1
write.csv(degenerate, file.path(out, "cox_degenerate.csv"), row.names = FALSE, quote = FALSE)
both("constant", Surv(time, status) ~ x + k, degenerate)
both("aliased", Surv(time, status) ~ x + z, degenerate)
both("alltied", Surv(tiedtime, status) ~ x, degenerate)
both("alldied", Surv(tiedtime, died) ~ x, degenerate)

write.csv(data.frame(key = keys, value = vals), file.path(out, "cox_expected.csv"),
          row.names = FALSE, quote = FALSE)
cat("wrote", length(keys), "expected values\n")
