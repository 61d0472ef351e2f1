# Cox proportional hazards (coxph, Efron ties) on a cox-*.csv of the benchmark.
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "common.R"))
suppressPackageStartupMessages(library(survival))

args <- bench_args()
data <- read_bench_csv(args$csv)

fit <- time_compute(function() {
  coxph(Surv(time, status) ~ age + female + baseline_phq9 + esketamine + prior_trials, data = data)
}, args$repetitions)

se <- sqrt(diag(vcov(fit)))
for (name in names(coef(fit))) {
  emit(paste0("coef:", name), coef(fit)[[name]])
  emit(paste0("se:", name), se[[name]])
}
emit("loglik", fit$loglik[2])
emit("package_version", paste("survival", packageVersion("survival")))
