# Linear mixed model with correlated random intercept and slope (lme4::lmer, REML) on an lmm-*.csv of the benchmark.
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "common.R"))
suppressPackageStartupMessages(library(lme4))

args <- bench_args()
data <- read_bench_csv(args$csv)

fit <- time_compute(function() {
  lmer(phq9 ~ week + (1 + week | patient), data = data, REML = TRUE)
}, args$repetitions)

se <- sqrt(diag(as.matrix(vcov(fit))))
for (name in names(fixef(fit))) {
  emit(paste0("coef:", name), fixef(fit)[[name]])
  emit(paste0("se:", name), se[[name]])
}
emit("reml_criterion", -2 * as.numeric(logLik(fit)))
emit("package_version", paste("lme4", packageVersion("lme4")))
