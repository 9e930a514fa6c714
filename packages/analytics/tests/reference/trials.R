# Reference values for whatworks_analytics.trials, computed once with R.
#
# Made with (Debian 13; R packages from Debian):
#   apt-get install -y r-cran-estimatr r-cran-clubsandwich r-cran-pwr r-cran-sandwich r-cran-jsonlite
#   cd packages/analytics/tests/reference && Rscript trials.R
# It writes trials.json and two data sets under trials-data/, which
# packages/analytics/tests/trials/test_reference.py reads.  The product never needs R.
#
# Data (real, published trials shipped in Debian's R packages):
# * trials-data/star.csv -- estimatr's `alo_star_men`: the Student Achievement and Retention
#   Project (Angrist, Lang and Oreopoulos, 2009, AEJ: Applied 1(1)), men randomised
#   individually to support services (ssp) or services plus financial incentives (sfsp), as
#   re-analysed by Lin (2013, Annals of Applied Statistics 7(1)); baseline high-school GPA
#   gpa0; outcomes GPA in years 1 and 2 (year 2 missing for 17 men: attrition).
# * trials-data/awards.csv -- clubSandwich's `AchievementAwardsRCT`: the Israeli Achievement
#   Awards demonstration (Angrist and Lavy, 2009, AER 99(4)), schools randomised within
#   matched pairs; here the 2001 cohort, with the baseline score lagscore, Bagrut
#   attainment (binary) and units awarded.
suppressMessages({library(estimatr); library(clubSandwich); library(pwr);
                  library(sandwich); library(jsonlite)})

star <- alo_star_men
star$arm <- ifelse(star$sfsp == 1, "sfsp", "ssp")
star$good_standing <- as.integer(star$GPA_year1 >= 2)
star$id <- seq_len(nrow(star))
write.csv(star[, c("id", "arm", "gpa0", "GPA_year1", "GPA_year2", "good_standing")],
          "trials-data/star.csv", row.names = FALSE, na = "")
star$z <- as.integer(star$arm == "sfsp")

awards <- subset(AchievementAwardsRCT, year == "2001")
awards <- data.frame(student = awards$student_id, school = awards$school_id,
                     pair = awards$pair, arm = ifelse(awards$treated == 1, "award", "none"),
                     lagscore = awards$lagscore, bagrut = awards$Bagrut_status,
                     awarded = awards$awarded)
write.csv(awards, "trials-data/awards.csv", row.names = FALSE)
awards$z <- as.integer(awards$arm == "award")

row_of <- function(fit, term = "z") {
  s <- summary(fit)$coefficients
  list(estimate = unname(coef(fit)[term]), se = unname(s[term, "Std. Error"]),
       df = unname(s[term, "DF"]), t = unname(s[term, "t value"]),
       p = unname(s[term, "Pr(>|t|)"]), ci_low = unname(s[term, "CI Lower"]),
       ci_high = unname(s[term, "CI Upper"]), n = nobs(fit))
}

out <- list(r_version = R.version.string,
            estimatr_version = as.character(packageVersion("estimatr")),
            clubSandwich_version = as.character(packageVersion("clubSandwich")),
            pwr_version = as.character(packageVersion("pwr")),
            sandwich_version = as.character(packageVersion("sandwich")))

# Individually randomised, HC2 (estimatr's default), df = n - k.
out$star_year1_unadjusted <- row_of(lm_robust(GPA_year1 ~ z, data = star))
out$star_year1_gpa0 <- row_of(lm_robust(GPA_year1 ~ z + gpa0, data = star))
out$star_year2_gpa0 <- row_of(lm_robust(GPA_year2 ~ z + gpa0, data = star))
out$star_year1_gpa0_90 <- row_of(lm_robust(GPA_year1 ~ z + gpa0, data = star, alpha = 0.10))
out$star_standing_gpa0 <- row_of(lm_robust(good_standing ~ z + gpa0, data = star))
# Odds ratio from logistic regression, model-based errors, Wald interval.
lg <- glm(good_standing ~ z + gpa0, family = binomial, data = star)
out$star_standing_or <- list(log_or = unname(coef(lg)["z"]),
                             se = unname(sqrt(vcov(lg)["z", "z"])),
                             ci_low = unname(confint.default(lg)["z", 1]),
                             ci_high = unname(confint.default(lg)["z", 2]))

# Cluster randomised (schools), CR2 with Bell-McCaffrey df.
out$awards_units_lagscore <- row_of(lm_robust(awarded ~ z + lagscore, data = awards,
                                              clusters = school, se_type = "CR2"))
out$awards_units_pairs <- row_of(lm_robust(awarded ~ z + lagscore + factor(pair),
                                           data = awards, clusters = school,
                                           se_type = "CR2"))
out$awards_bagrut_unadjusted <- row_of(lm_robust(bagrut ~ z, data = awards,
                                                 clusters = school, se_type = "CR2"))
# The same with clubSandwich, which must agree.
ols <- lm(awarded ~ z + lagscore + factor(pair), data = awards)
ct <- coef_test(ols, vcov = "CR2", cluster = awards$school, test = "Satterthwaite")
ct <- ct[ct$Coef == "z", ]
out$awards_units_pairs_clubsandwich <- list(estimate = ct$beta, se = ct$SE, df = ct$df_Satt,
                                            p = ct$p_Satt)
# Odds ratio with cluster-robust (sandwich::vcovCL, HC0 with G/(G-1)) errors.
lg2 <- glm(bagrut ~ z + lagscore, family = binomial, data = awards)
v2 <- vcovCL(lg2, cluster = ~school)
se2 <- sqrt(v2["z", "z"])
out$awards_bagrut_or <- list(log_or = unname(coef(lg2)["z"]), se = unname(se2),
                             ci_low = unname(coef(lg2)["z"] - qnorm(0.975) * se2),
                             ci_high = unname(coef(lg2)["z"] + qnorm(0.975) * se2))

# Hedges' g as the WWC computes it: the adjusted difference over the pooled within-arm SD
# of the outcome in the analysed sample, times J = 1 - 3 / (4 N - 9); its interval is the
# estimate's interval on that scale.  Baseline equivalence: the same for the baseline.
hedges <- function(y, z, est, lo, hi) {
  ok <- !is.na(y); y <- y[ok]; z <- z[ok]
  n1 <- sum(z == 1); n0 <- sum(z == 0)
  sp <- sqrt(((n1 - 1) * var(y[z == 1]) + (n0 - 1) * var(y[z == 0])) / (n1 + n0 - 2))
  j <- 1 - 3 / (4 * (n1 + n0) - 9)
  list(g = j * est / sp, ci_low = j * lo / sp, ci_high = j * hi / sp, j = j, sd = sp)
}
r <- out$star_year2_gpa0
out$star_year2_hedges <- hedges(star$GPA_year2, star$z, r$estimate, r$ci_low, r$ci_high)
analysed <- !is.na(star$GPA_year2)
out$star_year2_balance_gpa0 <- hedges(star$gpa0[analysed], star$z[analysed],
                                      mean(star$gpa0[analysed & star$z == 1]) -
                                        mean(star$gpa0[analysed & star$z == 0]), 0, 0)$g
r <- out$awards_units_pairs
out$awards_units_hedges <- hedges(awards$awarded, awards$z, r$estimate, r$ci_low, r$ci_high)

# Power (pwr.t.test, two samples).  Debian's pwr has no `tol` argument and its uniroot stops
# at a tolerance of about 1e-4 in n, so the sample sizes are the roots of pwr.t.test's own
# power function found again with uniroot at tol = 1e-12 (pwr.t.test's answers are kept too).
n_for <- function(d, power, alternative = "two.sided") {
  uniroot(function(n) pwr.t.test(n = n, d = d, sig.level = 0.05,
                                 alternative = alternative)$power - power,
          c(2 + 1e-10, 1e+09), tol = 1e-12, extendInt = "upX")$root
}
out$pwr <- list(
  n_d05 = n_for(0.5, 0.8),
  n_d02 = n_for(0.2, 0.9),
  n_d03_one_sided = n_for(0.3, 0.8, "greater"),
  pwr_n_d05 = pwr.t.test(d = 0.5, power = 0.8, sig.level = 0.05)$n,
  power_n64_d05 = pwr.t.test(n = 64, d = 0.5, sig.level = 0.05)$power,
  power_n200_d025_a01 = pwr.t.test(n = 200, d = 0.25, sig.level = 0.01)$power,
  power_n50_d04_one_sided = pwr.t.test(n = 50, d = 0.4, sig.level = 0.05,
                                       alternative = "greater")$power,
  mdes_n1_58_n2_99 = uniroot(function(d) pwr.t2n.test(n1 = 58, n2 = 99, d = d,
                                                      sig.level = 0.05)$power - 0.8,
                             c(1e-7, 10), tol = 1e-12)$root)

# Two-level cluster MDES, Dong and Maynard (2013) CRA2_2, written out with R's qt().
mdes_cra2 <- function(J, n, rho, P = 0.5, R12 = 0, R22 = 0, g = 0, alpha = 0.05,
                      power = 0.8, two_tailed = TRUE) {
  df <- J - g - 2
  M <- if (two_tailed) qt(1 - alpha / 2, df) + qt(power, df) else qt(1 - alpha, df) + qt(power, df)
  M * sqrt(rho * (1 - R22) / (P * (1 - P) * J) + (1 - rho) * (1 - R12) / (P * (1 - P) * J * n))
}
out$mdes_cluster <- list(
  j40_n25_icc02 = mdes_cra2(40, 25, 0.2),
  j20_n60_icc015_r2_05 = mdes_cra2(20, 60, 0.15, R12 = 0.5, R22 = 0.5, g = 1),
  j30_n10_icc01_p04_one = mdes_cra2(30, 10, 0.1, P = 0.4, two_tailed = FALSE, power = 0.9))

writeLines(toJSON(out, auto_unbox = TRUE, digits = I(15), pretty = TRUE), "trials.json")
