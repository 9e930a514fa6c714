# Reference values for whatworks_analytics.meta, computed once with R's metafor.
#
# Made with (Debian 13, r-cran-metafor 4.x = metafor 3.8-1, r-cran-jsonlite):
#   apt-get install -y r-cran-metafor r-cran-jsonlite
#   cd packages/analytics/tests/reference && Rscript metafor.R
# It writes metafor.json (the values) and metafor-data/*.csv (the data sets, as bundled with
# metafor/metadat), which packages/analytics/tests/meta/test_reference.py reads.  The product
# never needs R.
#
# Two root-finding tolerances are tightened so that the committed values are the exact
# roots rather than uniroot()'s default 1.2e-4 (the default changes tau2 in the 4th to 5th
# decimal): control=list(tol=1e-12) for the Paule-Mandel estimator and for confint()'s
# Q-profile intervals.  Everything else is metafor's default.
suppressMessages({library(metafor); library(jsonlite)})
dir.create("metafor-data", showWarnings = FALSE)
digits <- 15
out <- list(metafor_version = as.character(packageVersion("metafor")),
            r_version = R.version.string)

num <- function(x) if (is.null(x) || length(x) == 0) NULL else unname(as.numeric(x))
vec <- function(x) if (is.null(x) || length(x) == 0) NULL else I(num(x))  # always an array

fit_values <- function(res) {
  list(k = res$k, p = res$p, beta = vec(res$beta), se = vec(res$se), zval = vec(res$zval),
       pval = vec(res$pval), ci_lb = vec(res$ci.lb), ci_ub = vec(res$ci.ub),
       tau2 = num(res$tau2), I2 = num(res$I2), H2 = num(res$H2), QE = num(res$QE),
       QEp = num(res$QEp), QM = num(res$QM), QMp = num(res$QMp), ddf = num(res$ddf),
       R2 = num(res$R2), test = res$test, method = res$method)
}

pred_values <- function(res, ...) {
  p <- predict(res, ...)
  list(pred = num(p$pred), se = num(p$se), ci_lb = num(p$ci.lb), ci_ub = num(p$ci.ub),
       pi_lb = num(p$pi.lb), pi_ub = num(p$pi.ub))
}

confint_values <- function(res) {
  ci <- confint(res, control = list(tol = 1e-12))$random
  list(tau2 = num(ci["tau^2", ]), I2 = num(ci["I^2(%)", ]), H2 = num(ci["H^2", ]))
}

methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")

fit <- function(dat, method, ...) {
  control <- if (method == "PM") list(tol = 1e-12) else list()
  rma(yi, vi, data = dat, method = method, control = control, ...)
}

pooled_block <- function(dat) {
  block <- list()
  for (m in methods) {
    entry <- list(z = fit_values(fit(dat, m)))
    if (m != "FE") {
      knha <- fit(dat, m, test = "knha")
      entry$knha <- fit_values(knha)
      res <- fit(dat, m)
      entry$predict_default <- pred_values(res)
      entry$predict_riley <- pred_values(res, pi.type = "riley")
      entry$predict_knha_riley <- pred_values(knha, pi.type = "riley")
      if (res$k > 1) entry$confint <- confint_values(res)
    }
    block[[m]] <- entry
  }
  block
}

sens_block <- function(res) {
  l1 <- leave1out(res)
  cu <- cumul(res)
  cols <- function(x) list(estimate = num(x$estimate), se = num(x$se), zval = num(x$zval),
                           pval = num(x$pval), ci_lb = num(x$ci.lb), ci_ub = num(x$ci.ub),
                           Q = num(x$Q), Qp = num(x$Qp), tau2 = num(x$tau2), I2 = num(x$I2),
                           H2 = num(x$H2))
  list(leave1out = cols(l1), cumul = cols(cu))
}

bias_block <- function(res) {
  eg <- regtest(res)
  eg_lm <- regtest(res, model = "lm")
  rk <- ranktest(res)
  tf <- trimfill(res)
  tf_r0 <- trimfill(res, estimator = "R0")
  tfv <- function(t) list(k0 = t$k0, side = t$side, se_k0 = num(t$se.k0),
                          beta = num(t$beta), se = num(t$se), zval = num(t$zval),
                          pval = num(t$pval), ci_lb = num(t$ci.lb), ci_ub = num(t$ci.ub),
                          tau2 = num(t$tau2), I2 = num(t$I2), QE = num(t$QE),
                          yi = num(t$yi), vi = num(t$vi), fill = as.logical(t$fill))
  list(regtest = list(zval = num(eg$zval), pval = num(eg$pval), est = num(eg$est),
                      ci_lb = num(eg$ci.lb), ci_ub = num(eg$ci.ub), ddf = num(eg$ddf)),
       regtest_lm = list(zval = num(eg_lm$zval), pval = num(eg_lm$pval), est = num(eg_lm$est),
                         ci_lb = num(eg_lm$ci.lb), ci_ub = num(eg_lm$ci.ub),
                         ddf = num(eg_lm$ddf)),
       ranktest = list(tau = num(rk$tau), pval = num(rk$pval)),
       trimfill = tfv(tf), trimfill_r0 = tfv(tf_r0))
}

# ---- dat.bcg: 13 trials of the BCG vaccine, log risk ratios -------------------------------
bcg <- dat.bcg
bcg$study <- paste(bcg$author, bcg$year)
write.csv(bcg[, c("study", "tpos", "tneg", "cpos", "cneg", "ablat", "year", "alloc")],
          "metafor-data/bcg.csv", row.names = FALSE)
bcg_rr <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
bcg_or <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
res_bcg <- rma(yi, vi, data = bcg_rr)
out$bcg_rr <- list(
  yi = num(bcg_rr$yi), vi = num(bcg_rr$vi),
  pooled = pooled_block(bcg_rr),
  sensitivity = sens_block(res_bcg),
  bias = bias_block(res_bcg),
  mh_rr = fit_values(rma.mh(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg,
                            measure = "RR")),
  # A subgroup analysis by allocation method: separate random-effects (REML) fits, then the
  # test of subgroup differences as a fixed-effect meta-regression of the subgroup estimates.
  subgroups = local({
    groups <- sort(unique(bcg_rr$alloc))
    fits <- lapply(groups, function(g) rma(yi, vi, data = bcg_rr, subset = alloc == g))
    est <- sapply(fits, function(f) c(f$beta)); se <- sapply(fits, function(f) f$se)
    diff <- rma(est, sei = se, mods = ~ factor(groups), method = "FE")
    list(groups = groups, fits = lapply(fits, fit_values),
         QM = num(diff$QM), QMdf = num(diff$QMdf[1]), QMp = num(diff$QMp),
         common_tau2 = fit_values(rma(yi, vi, mods = ~ factor(alloc), data = bcg_rr)))
  }),
  metareg = list(
    ablat_reml = fit_values(rma(yi, vi, mods = ~ ablat, data = bcg_rr)),
    ablat_year_reml = fit_values(rma(yi, vi, mods = ~ ablat + year, data = bcg_rr)),
    ablat_year_reml_knha = fit_values(rma(yi, vi, mods = ~ ablat + year, data = bcg_rr,
                                          test = "knha")),
    ablat_year_ml = fit_values(rma(yi, vi, mods = ~ ablat + year, data = bcg_rr, method = "ML")),
    ablat_year_dl = fit_values(rma(yi, vi, mods = ~ ablat + year, data = bcg_rr, method = "DL")),
    ablat_year_fe = fit_values(rma(yi, vi, mods = ~ ablat + year, data = bcg_rr, method = "FE"))
  )
)
out$bcg_or <- list(
  mh_or = c(fit_values(rma.mh(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg,
                              measure = "OR")),
            local({r <- rma.mh(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg,
                               measure = "OR"); list(MH = num(r$MH), MHp = num(r$MHp))})),
  peto = fit_values(rma.peto(ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg))
)

# ---- dat.normand1999: 9 trials, length of stay, Hedges' g ---------------------------------
norm <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
               n2i = n2i, data = dat.normand1999)
out$normand_smd <- list(yi = num(norm$yi), vi = num(norm$vi), pooled = pooled_block(norm))

# ---- dat.yusuf1985 table 6: beta blockers, one study with missing counts ------------------
yus <- dat.yusuf1985[dat.yusuf1985$table == "6", ]
yus$bi <- yus$n1i - yus$ai
yus$di <- yus$n2i - yus$ci
write.csv(data.frame(study = yus$trial, ai = yus$ai, bi = yus$bi, ci = yus$ci, di = yus$di),
          "metafor-data/yusuf1985_table6.csv", row.names = FALSE, na = "")
res_or <- suppressWarnings(rma(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i,
                               data = yus, method = "FE"))
res_peto <- suppressWarnings(rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = yus))
res_mh <- suppressWarnings(rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = yus))
out$yusuf6 <- list(or_fe = fit_values(res_or), peto = fit_values(res_peto),
                   mh_or = fit_values(res_mh), k_all = nrow(yus),
                   omitted = I(yus$trial[is.na(yus$ai) | is.na(yus$ci)]))

# ---- dat.hackshaw1998: 37 studies of passive smoking, log odds ratios ---------------------
hack <- dat.hackshaw1998
write.csv(data.frame(study = paste(hack$author, hack$year), yi = hack$yi, vi = hack$vi),
          "metafor-data/hackshaw1998.csv", row.names = FALSE)
res_h <- rma(yi, vi, data = hack)
res_h_fe <- rma(yi, vi, data = hack, method = "FE")
out$hackshaw <- list(pooled = pooled_block(hack), bias = bias_block(res_h),
                     bias_fe = bias_block(res_h_fe), sensitivity = sens_block(res_h))

# ---- dat.raudenbush1985: teacher expectancy, 19 studies, weeks of contact ------------------
rau <- dat.raudenbush1985
rau$weeks_c <- ifelse(rau$weeks > 3, 3, rau$weeks)
write.csv(data.frame(study = paste(rau$author, rau$year), yi = rau$yi, vi = rau$vi,
                     weeks = rau$weeks_c, tester = rau$tester),
          "metafor-data/raudenbush1985.csv", row.names = FALSE)
out$raudenbush <- list(
  pooled = pooled_block(rau),
  metareg = list(weeks_reml = fit_values(rma(yi, vi, mods = ~ weeks_c, data = rau)),
                 weeks_reml_knha = fit_values(rma(yi, vi, mods = ~ weeks_c, data = rau,
                                                  test = "knha")),
                 weeks_tester_reml = fit_values(rma(yi, vi, mods = ~ weeks_c + tester,
                                                    data = rau))),
  bias = bias_block(rma(yi, vi, data = rau)),
  subgroups = local({
    groups <- sort(unique(rau$tester))
    fits <- lapply(groups, function(g) rma(yi, vi, data = rau, subset = tester == g))
    est <- sapply(fits, function(f) c(f$beta)); se <- sapply(fits, function(f) f$se)
    diff <- rma(est, sei = se, mods = ~ factor(groups), method = "FE")
    list(groups = groups, fits = lapply(fits, fit_values),
         QM = num(diff$QM), QMdf = num(diff$QMdf[1]), QMp = num(diff$QMp),
         common_tau2 = fit_values(rma(yi, vi, mods = ~ factor(tester), data = rau)))
  })
)

# ---- k = 1, 2, 3: what metafor does with very few studies ---------------------------------
few <- bcg_rr[1:3, ]
out$few <- lapply(1:3, function(k) {
  res <- rma(yi, vi, data = few[seq_len(k), ])
  list(k = k, fit = fit_values(res), predict_default = pred_values(res),
       predict_riley = pred_values(res, pi.type = "riley"))
})

writeLines(toJSON(out, auto_unbox = TRUE, digits = I(digits), null = "null", na = "null",
                  pretty = TRUE), "metafor.json")
cat("wrote metafor.json\n")
