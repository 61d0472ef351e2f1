# Linear mixed model with correlated random intercept and slope (lme4::lmer, REML) on an lmm-*.csv of the benchmark.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
suppressPackageStartupMessages(library(lme4))

input <- bench_input()

fit <- time_compute(function() {
  lmer(phq9 ~ week + (1 + week | patient), data = input$data, REML = TRUE)
}, input$repetitions)

se <- sqrt(diag(as.matrix(vcov(fit))))
for (name in names(fixef(fit))) {
  emit(paste0("coef:", name), fixef(fit)[[name]])
  emit(paste0("se:", name), se[[name]])
}
emit("reml_criterion", -2 * as.numeric(logLik(fit)))
emit("package_version", paste("lme4", packageVersion("lme4")))
