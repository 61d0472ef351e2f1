# Time to response from a research export, as the cohort report computes it (analytics/methods/exports.md).
#
#   Rscript analytics/examples/time-to-response.R [EXPORT_DIR] [GROUP_COLUMN] [OUT_CSV]
#
# EXPORT_DIR: an unpacked CSV export (`outcomes export --format csv --out DIR`); default: the committed sample.
# GROUP_COLUMN: a subjects.csv column to compare (sex, modality, age_band, clinic, baseline_severity, ...).
#   Demographics (and rarely modality) may be generalised for k-anonymity (wider bands, "withheld", "other"): see
#   manifest.json; baseline_severity and the outcome columns never are.
# OUT_CSV: long-format key,value (17 significant digits, NA as NA), the convention of analytics/validation.
#
# Eligible subjects only (baseline at or above the definitions' minimum); response_day is the onset day for
# responders (response_event true) and the censoring day for the others, who are never dropped.
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "analytics/examples/export-sample"
group <- if (length(args) >= 2) args[2] else "clinic"
out <- if (length(args) >= 3) args[3] else "analytics/examples/time-to-response-expected.csv"

# The report's at-risk days (ReportOptions.AtRiskDays, the default of every named report).
days <- c(0, 7, 14, 21, 28, 42, 56, 84)

subjects <- read.csv(file.path(dir, "subjects.csv"), colClasses = "character", na.strings = "")
flag <- function(x) x == "true"
eligible <- subjects[!is.na(subjects$eligible) & flag(subjects$eligible), ]
eligible$response_day <- as.numeric(eligible$response_day)
eligible$response_event <- flag(eligible$response_event)
eligible$group <- eligible[[group]]

fit <- survfit(Surv(response_day, response_event) ~ group, data = eligible, conf.type = "log")
table <- summary(fit)$table
at <- summary(fit, times = days)
risk <- summary(fit, times = days, extend = TRUE)

fmt <- function(x) ifelse(is.na(x), "NA", trimws(formatC(x, digits = 17, format = "g")))
rows <- list()
add <- function(key, value) rows[[length(rows) + 1]] <<- data.frame(key = key, value = fmt(value))
labels <- sub("^group=", "", rownames(table))
for (i in seq_along(labels)) {
  g <- labels[i]
  add(paste0(g, ".n"), table[i, "records"])
  add(paste0(g, ".events"), table[i, "events"])
  add(paste0(g, ".median"), table[i, "median"])
  add(paste0(g, ".median.lower"), table[i, "0.95LCL"])
  add(paste0(g, ".median.upper"), table[i, "0.95UCL"])
  mine <- sub("^group=", "", as.character(at$strata)) == g
  for (k in which(mine)) {
    add(paste0(g, ".survival.", at$time[k]), at$surv[k])
    add(paste0(g, ".lower.", at$time[k]), at$lower[k])
    add(paste0(g, ".upper.", at$time[k]), at$upper[k])
  }
  mine <- sub("^group=", "", as.character(risk$strata)) == g
  for (k in which(mine)) add(paste0(g, ".atRisk.", risk$time[k]), risk$n.risk[k])
}
result <- do.call(rbind, rows)
write.csv(result, out, row.names = FALSE, quote = FALSE)

cat(sprintf("%s: %d eligible subjects, grouped by %s\n", dir, nrow(eligible), group))
print(fit)
print(summary(fit, times = days))
cat(sprintf("wrote %s\n", out))
