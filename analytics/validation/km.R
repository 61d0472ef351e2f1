# Reference values for Kaplan-Meier (survfit), log-rank (survdiff) and proportion intervals.
# Run from the repository root: Rscript analytics/validation/km.R
# Writes the data sets it used (km-*.csv) and the expected values (km-expected.csv, key,value).
suppressPackageStartupMessages(library(survival))

out_dir <- file.path("analytics", "validation")
keys <- character(0)
vals <- character(0)
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
put <- function(key, value) {
  keys <<- c(keys, key)
  vals <<- c(vals, fmt(value))
}

write_data <- function(d, name) {
  d$time <- sprintf("%.17g", d$time)
  write.csv(d, file.path(out_dir, paste0("km-", name, ".csv")), row.names = FALSE, quote = FALSE)
}

# --- data sets -------------------------------------------------------------
aml_d <- data.frame(time = survival::aml$time, status = survival::aml$status,
                    group = as.character(survival::aml$x))
lung_d <- data.frame(time = survival::lung$time, status = survival::lung$status - 1,
                     group = survival::lung$sex)

# Heavy ties, events and censorings at time 0, and near-ties that aeqSurv merges.
set.seed(20240607)
n <- 300
ties_d <- data.frame(time = pmin(rgeom(n, 0.15), 20),
                     status = rbinom(n, 1, 0.7),
                     group = sample(c("A", "B", "C"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2)))
near <- sample(which(ties_d$time > 0), 15)
ties_d$time[near] <- ties_d$time[near] + 1e-10
ties_d$time <- as.numeric(ties_d$time)

# Curves that sit exactly at 0.5: "mid" drops below later (median is a midpoint), "flat" stays at 0.5 to its end.
half_d <- data.frame(time = c(1, 2, 3, 4, 1, 2, 3, 4),
                     status = c(1, 1, 0, 1, 1, 1, 0, 0),
                     group = c(rep("mid", 4), rep("flat", 4)))

sets <- list(aml = aml_d, lung = lung_d, ties = ties_d, half = half_d)
at_times <- list(aml = c(0, 5, 12, 30, 48, 200),
                 lung = c(0, 100, 183, 365, 730, 1100),
                 ties = c(0, 1, 2.5, 7, 15, 30),
                 half = c(0, 1, 2, 3, 4, 5))
for (name in names(sets)) write_data(sets[[name]], name)

# --- Kaplan-Meier ----------------------------------------------------------
curve_values <- function(prefix, fit, times) {
  s <- summary(fit, censored = TRUE)
  put(paste0(prefix, ".rows"), length(s$time))
  put(paste0(prefix, ".n"), fit$n)
  put(paste0(prefix, ".events"), sum(fit$n.event))
  for (i in seq_along(s$time)) {
    r <- paste0(prefix, ".row", i)
    put(paste0(r, ".time"), s$time[i])
    put(paste0(r, ".nRisk"), s$n.risk[i])
    put(paste0(r, ".nEvent"), s$n.event[i])
    put(paste0(r, ".nCensor"), fit$n.censor[i])
    put(paste0(r, ".survival"), s$surv[i])
    put(paste0(r, ".stdErr"), s$std.err[i])
    put(paste0(r, ".lower"), s$lower[i])
    put(paste0(r, ".upper"), s$upper[i])
  }
  table <- summary(fit)$table
  put(paste0(prefix, ".median"), table["median"])
  put(paste0(prefix, ".median.lower"), table[paste0(fit$conf.int, "LCL")])
  put(paste0(prefix, ".median.upper"), table[paste0(fit$conf.int, "UCL")])
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
  for (j in 1:3) {
    qk <- paste0(prefix, ".q", c(25, 50, 75)[j])
    put(qk, q$quantile[j])
    put(paste0(qk, ".lower"), q$lower[j])
    put(paste0(qk, ".upper"), q$upper[j])
  }
  for (extend in if (is.null(times)) logical(0) else c(FALSE, TRUE)) {
    a <- summary(fit, times = times, extend = extend)
    ak <- paste0(prefix, ".at.", tolower(as.character(extend)))
    put(paste0(ak, ".rows"), length(a$time))
    for (i in seq_along(a$time)) {
      r <- paste0(ak, ".row", i)
      put(paste0(r, ".time"), a$time[i])
      put(paste0(r, ".nRisk"), a$n.risk[i])
      put(paste0(r, ".nEvent"), a$n.event[i])
      put(paste0(r, ".nCensor"), a$n.censor[i])
      put(paste0(r, ".survival"), a$surv[i])
      put(paste0(r, ".stdErr"), a$std.err[i])
      put(paste0(r, ".lower"), a$lower[i])
      put(paste0(r, ".upper"), a$upper[i])
    }
  }
}

levels_for <- list(aml = c(0.95), lung = c(0.95, 0.9), ties = c(0.95), half = c(0.95))
for (name in names(sets)) {
  d <- sets[[name]]
  d$group <- factor(d$group)
  for (ct in c("log", "log-log", "plain")) {
    for (level in if (ct == "log") levels_for[[name]] else 0.95) {
      base <- paste0("km.", name, ".", ct, ".", level)
      overall <- survfit(Surv(time, status) ~ 1, data = d, conf.type = ct, conf.int = level)
      curve_values(paste0(base, ".all"), overall, at_times[[name]])
      fit <- survfit(Surv(time, status) ~ group, data = d, conf.type = ct, conf.int = level)
      put(paste0(base, ".groups"), length(levels(d$group)))
      for (g in seq_along(levels(d$group))) {
        curve_values(paste0(base, ".", levels(d$group)[g]), fit[g], at_times[[name]])
      }
    }
  }
}

# Many small curves with tied whole-day times: the median's midpoint and NA rules get exercised often.
set.seed(11)
fuzz_d <- do.call(rbind, lapply(1:40, function(i) {
  n <- sample(3:14, 1)
  data.frame(time = sample(0:6, n, replace = TRUE), status = rbinom(n, 1, 0.6), group = paste0("s", i))
}))
write_data(fuzz_d, "fuzz")
for (set in unique(fuzz_d$group)) {
  d <- fuzz_d[fuzz_d$group == set, ]
  for (ct in c("log", "log-log", "plain")) {
    fit <- survfit(Surv(time, status) ~ 1, data = d, conf.type = ct)
    curve_values(paste0("fuzz.", set, ".", ct), fit, if (ct == "log") c(0, 1, 2, 3.5, 6, 7) else NULL)
  }
}

# --- log-rank --------------------------------------------------------------
for (name in names(sets)) {
  d <- sets[[name]]
  d$group <- factor(d$group)
  sd <- survdiff(Surv(time, status) ~ group, data = d)
  base <- paste0("lr.", name)
  df <- sum(sd$exp > 0) - 1
  put(paste0(base, ".chisq"), sd$chisq)
  put(paste0(base, ".df"), df)
  put(paste0(base, ".p"), pchisq(sd$chisq, df, lower.tail = FALSE))
  lv <- levels(d$group)
  for (g in seq_along(lv)) {
    put(paste0(base, ".", lv[g], ".n"), sd$n[g])
    put(paste0(base, ".", lv[g], ".observed"), sd$obs[g])
    put(paste0(base, ".", lv[g], ".expected"), sd$exp[g])
    for (h in seq_along(lv)) put(paste0(base, ".var.", g, ".", h), sd$var[g, h])
  }
}

# --- proportions -----------------------------------------------------------
cases <- rbind(c(0, 1), c(1, 1), c(0, 10), c(1, 10), c(5, 10), c(9, 10), c(10, 10),
               c(17, 50), c(0, 1000), c(1, 1000), c(250, 1000), c(999, 1000), c(1000, 1000),
               c(3, 7), c(4321, 10000))
for (i in seq_len(nrow(cases))) {
  x <- cases[i, 1]
  n <- cases[i, 2]
  for (level in c(0.95, 0.9)) {
    base <- paste0("prop.", x, ".", n, ".", level)
    # prop.test warns that its chi-square test may be inaccurate for small n; only the interval is used.
    w <- suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = level))$conf.int
    put(paste0(base, ".wilson.lower"), w[1])
    put(paste0(base, ".wilson.upper"), w[2])
    e <- binom.test(x, n, conf.level = level)$conf.int
    put(paste0(base, ".exact.lower"), e[1])
    put(paste0(base, ".exact.upper"), e[2])
  }
}
put("qnorm.975", qnorm(0.975))
put("qnorm.95", qnorm(0.95))

writeLines(c("key,value", paste(keys, vals, sep = ",")), file.path(out_dir, "km-expected.csv"))
cat("wrote", length(keys), "expected values\n")
