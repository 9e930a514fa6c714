# Reference values for whatworks_analytics.weighting, computed once with R's survey package.
#
# Made with (Debian 13, r-cran-survey, r-cran-jsonlite):
#   apt-get install -y r-cran-survey r-cran-jsonlite
#   cd packages/analytics/tests/reference && Rscript survey.R
# It writes survey.json (weights and diagnostics) and survey-data/apistrat.csv with
# survey-data/apistrat-targets.json (the California schools sample bundled with survey, and
# the population shares of school type and "met school-wide growth target" from apipop),
# which packages/analytics/tests/weighting/test_reference.py reads.  The product never needs R.
suppressMessages({library(survey); library(jsonlite)})
data(api)
# Equal starting weights, so that the sample (stratified with 100 elementary, 50 middle and
# 50 high schools) is far from the population and the bounds matter.
sample <- data.frame(stype = as.character(apistrat$stype),
                     sch_wide = as.character(apistrat$sch.wide), pw = 1)
write.csv(sample, "survey-data/apistrat.csv", row.names = FALSE)
N <- nrow(apipop)
shares <- list(stype = as.list(table(apipop$stype) / N),
               sch_wide = as.list(table(apipop$sch.wide) / N))
writeLines(toJSON(shares, auto_unbox = TRUE, digits = I(15), pretty = TRUE),
           "survey-data/apistrat-targets.json")

design <- svydesign(id = ~1, weights = ~pw, data = sample)
total_w <- sum(sample$pw)
# Population totals scaled to the sample's weight total, as our functions do.
pop_stype <- data.frame(stype = names(shares$stype), Freq = unlist(shares$stype) * total_w)
pop_wide <- data.frame(sch_wide = names(shares$sch_wide),
                       Freq = unlist(shares$sch_wide) * total_w)
totals <- c(`(Intercept)` = total_w,
            stypeH = shares$stype$H * total_w, stypeM = shares$stype$M * total_w,
            sch_wideYes = shares$sch_wide$Yes * total_w)

out <- list(survey_version = as.character(packageVersion("survey")),
            r_version = R.version.string)
out$rake <- weights(rake(design, list(~stype, ~sch_wide), list(pop_stype, pop_wide),
                         control = list(maxit = 100, epsilon = 1e-12)))
cal <- function(calfun, bounds) {
  res <- calibrate(design, ~stype + sch_wide, totals, calfun = calfun, bounds = bounds,
                   epsilon = 1e-12, maxit = 100)
  weights(res)
}
out$linear <- cal("linear", c(-Inf, Inf))
# Bounds on w / d that bind (found by trying: survey's Newton steps fail to converge for
# many bounds that are close to infeasible, e.g. c(0.49, 1.42), recorded as failing).
out$linear_bounds <- c(0.487, 1.5)
out$linear_bounded <- cal("linear", out$linear_bounds)
out$logit_bounded <- cal("logit", out$linear_bounds)
out$raking_bounds <- c(0.2, 1.435)
out$raking_bounded <- cal("raking", out$raking_bounds)
out$infeasible_bounds <- c(0.49, 1.42)
out$infeasible_fails <- inherits(tryCatch(cal("linear", out$infeasible_bounds),
                                          warning = function(w) w), "warning")
out$base <- sample$pw
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(15), pretty = TRUE), "survey.json")
cat("wrote survey.json\n")
