# Cox proportional hazards (coxph, Efron ties) on a cox-*.csv of the benchmark.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
suppressPackageStartupMessages(library(survival))

input <- bench_input()

fit <- time_compute(function() {
  coxph(Surv(time, status) ~ age + female + baseline_phq9 + esketamine + prior_trials, data = input$data)
}, input$repetitions)

se <- sqrt(diag(vcov(fit)))
for (name in names(coef(fit))) {
  emit(paste0("coef:", name), coef(fit)[[name]])
  emit(paste0("se:", name), se[[name]])
}
emit("loglik", fit$loglik[2])
emit("package_version", paste("survival", packageVersion("survival")))
