# Kaplan-Meier curves by arm (survfit) and the log-rank test (survdiff) on a survival-*.csv of the benchmark.
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "common.R"))
suppressPackageStartupMessages(library(survival))

args <- bench_args()
data <- read_bench_csv(args$csv)

fits <- time_compute(function() {
  list(
    km = survfit(Surv(time, status) ~ arm, data = data),
    logrank = survdiff(Surv(time, status) ~ arm, data = data))
}, args$repetitions)

median <- quantile(fits$km, probs = 0.5)
arms <- sub("^arm=", "", names(fits$km$strata))
for (i in seq_along(arms)) {
  emit(paste0("median:", arms[i]), median$quantile[i, 1])
  emit(paste0("median_lower:", arms[i]), median$lower[i, 1])
  emit(paste0("median_upper:", arms[i]), median$upper[i, 1])
  emit(paste0("expected:", arms[i]), fits$logrank$exp[i])
}
emit("chisq", fits$logrank$chisq)
emit("package_version", paste("survival", packageVersion("survival")))
