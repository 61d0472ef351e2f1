# Shared by the benchmark scripts, which Outcomes.Bench runs as `Rscript --vanilla <script> <csv> <repetitions>`.
# Everything printed as `key,value` is read back by the C# side; reading the CSV is not timed.

read_bench_csv <- function(path) {
  if (requireNamespace("data.table", quietly = TRUE)) {
    data.table::fread(path, data.table = FALSE)
  } else {
    utils::read.csv(path, stringsAsFactors = FALSE)
  }
}

emit <- function(key, value) {
  cat(key, ",", if (is.numeric(value)) sprintf("%.17g", value) else as.character(value), "\n", sep = "")
}

# One untimed warm-up, then `repetitions` timed runs of compute(); system.time() runs gc() first
# (the C# side collects before each run too). Returns the last run's result for the agreement checks.
time_compute <- function(compute, repetitions) {
  result <- compute()
  elapsed <- numeric(repetitions)
  cpu <- numeric(repetitions)
  for (r in seq_len(repetitions)) {
    times <- system.time(result <- compute())
    elapsed[r] <- times[["elapsed"]] * 1000
    cpu[r] <- (times[["user.self"]] + times[["sys.self"]]) * 1000
  }
  for (ms in elapsed) emit("elapsed_ms", ms)
  for (ms in cpu) emit("cpu_ms", ms)
  emit("median_ms", median(elapsed))
  emit("min_ms", min(elapsed))
  emit("r_version", paste(R.version$major, R.version$minor, sep = "."))
  result
}

# The benchmark data (not timed) and the number of timed repetitions, from the command line.
bench_input <- function() {
  args <- commandArgs(trailingOnly = TRUE)
  if (length(args) != 2) stop("usage: Rscript <script> <csv> <repetitions>")
  list(data = read_bench_csv(args[1]), repetitions = as.integer(args[2]))
}
