# Kaplan-Meier curves by arm (survfit) and the log-rank test (survdiff) on a survival-*.csv of the benchmark.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "common.R"))
suppressPackageStartupMessages(library(survival))

input <- bench_input()

fits <- time_compute(function() {
  list(
    km = survfit(Surv(time, status) ~ arm, data = input$data),
    logrank = survdiff(Surv(time, status) ~ arm, data = input$data))
}, input$repetitions)

medians <- quantile(fits$km, probs = 0.5)
arms <- sub("^arm=", "", names(fits$km$strata))
for (i in seq_along(arms)) {
  emit(paste0("median:", arms[i]), medians$quantile[i, 1])
  emit(paste0("median_lower:", arms[i]), medians$lower[i, 1])
  emit(paste0("median_upper:", arms[i]), medians$upper[i, 1])
  emit(paste0("expected:", arms[i]), fits$logrank$exp[i])
}
emit("chisq", fits$logrank$chisq)
emit("package_version", paste("survival", packageVersion("survival")))
