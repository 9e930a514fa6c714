# Reference values for whatworks_analytics.weighting.weighted_mean_ci, computed once with
# R's survey package (the mean and its linearisation standard error with weights only).
#
# Made with (Debian 13, r-cran-survey, r-cran-jsonlite):
#   apt-get install -y r-cran-survey r-cran-jsonlite
#   cd packages/analytics/tests/reference && Rscript survey_mean.R
# It writes survey-data/apistrat-api00.csv (school score api00 and sampling weight pw of the
# California schools sample bundled with survey) and survey_mean.json, which
# packages/analytics/tests/weighting/test_mean_reference.py reads.  The product never needs R.
suppressMessages({library(survey); library(jsonlite)})
data(api)
d <- data.frame(api00 = apistrat$api00, pw = apistrat$pw, one = 1)
write.csv(d, "survey-data/apistrat-api00.csv", row.names = FALSE)
weighted <- svydesign(id = ~1, weights = ~pw, data = d)
plain <- svydesign(id = ~1, weights = ~one, data = d)
out <- list()
for (name in c("weighted", "plain")) {
  design <- if (name == "weighted") weighted else plain
  m <- svymean(~api00, design)
  ci <- confint(m, level = 0.95)
  out[[name]] <- list(mean = unname(coef(m)), se = as.numeric(SE(m)),
                      lower = unname(ci[1, 1]), upper = unname(ci[1, 2]))
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = I(15), pretty = TRUE), "survey_mean.json")
