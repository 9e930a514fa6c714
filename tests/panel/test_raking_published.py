"""Raking against a published worked example: the R survey package's ``rake`` on ``apiclus1``.

Source: T. Lumley, *survey: analysis of complex survey samples*, R package, test
``tests/rakecheck.R`` with its recorded output ``tests/rakecheck.Rout.save``
(https://github.com/cran/survey/blob/master/tests/rakecheck.Rout.save; also the example of
``?rake``).  The cluster sample ``apiclus1`` (183 Californian schools in 15 districts, every
sampling weight ``pw`` = 33.847) is raked to the population counts of school type
(E 4421, H 755, M 1018) and of ``sch.wide`` (No 1072, Yes 5122), then::

    > svymean(~api00, dclus1r)          mean 641.23
    > svytotal(~enroll, dclus1r)        total 3647300   (rake, stopping at epsilon = 1)
    > svytotal(~enroll, dclus1g)        total 3647280   (calibrate(calfun = "raking"), converged)

The four columns used (school type, ``sch.wide``, ``api00``, ``enroll``) are copied from
``apiclus1`` (survey package ``data(api)``; the CSV copy in xKDR/Survey.jl
``assets/clus1.csv``).  The copy is checked against the package's own unweighted figures
(``svymean(~api00, dclus1)`` 644.17, ``svytotal(~enroll, dclus1)`` 3404940) before use.
Equal base weights cancel in raking, so they are left out.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from whatworks_analytics.weighting import rake

#: school type, sch.wide, api00, enroll - the 183 rows of apiclus1 in order
APICLUS1 = """
    H Yes 608 1689  E Yes 684 288  E Yes 612 294  E Yes 710 143  E Yes 729 307  E Yes 714 311
    E Yes 759 362  E Yes 585 263  E Yes 625 583  M Yes 664 886  M Yes 669 955  H Yes 443 418
    E Yes 467 574  M Yes 482 286  E Yes 496 158  M No 411 372  E Yes 494 308  E Yes 493 358
    M No 592 921  E Yes 550 375  M Yes 689 962  M No 598 954  E Yes 628 370  E Yes 652 596
    E Yes 628 485  E Yes 832 254  E Yes 777 465  E Yes 709 481  E No 709 425  E Yes 736 312
    E Yes 561 360  E Yes 555 323  H No 696 442  M No 631 508  E Yes 564 166  E Yes 602 525
    H Yes 529 388  E Yes 491 266  E Yes 510 671  M No 547 343  E Yes 814 466  E Yes 806 516
    E Yes 715 489  E Yes 785 300  M Yes 720 728  E Yes 905 512  M Yes 617 972  E Yes 630 619
    E Yes 629 562  E Yes 696 358  E Yes 476 626  E Yes 757 396  E Yes 825 571  E Yes 595 715
    E No 552 345  M Yes 847 850  H Yes 714 258  H Yes 724 170  H No 687 210  H Yes 723 467
    E Yes 662 117  E No 699 196  E Yes 807 205  M Yes 679 233  E Yes 691 324  E Yes 622 370
    E Yes 754 309  E Yes 655 414  E Yes 764 303  E Yes 795 407  E Yes 505 504  E No 638 371
    E Yes 733 374  E Yes 523 631  E Yes 511 432  E Yes 710 299  E Yes 657 500  E Yes 602 499
    E Yes 490 748  E No 664 356  E Yes 651 302  E Yes 603 594  E Yes 698 527  E Yes 511 446
    E Yes 814 436  E Yes 669 381  E No 711 464  E Yes 538 462  E Yes 705 320  E Yes 595 437
    E Yes 551 295  E Yes 762 512  E Yes 521 343  E Yes 709 404  E Yes 780 504  E Yes 780 411
    E Yes 722 637  E Yes 828 555  E Yes 737 491  H No 595 1585  H Yes 661 1855  E Yes 502 385
    M No 614 1015  E Yes 585 483  E Yes 582 576  M Yes 642 1405  E Yes 536 549  E Yes 746 352
    E Yes 667 564  E No 629 540  E Yes 745 290  E Yes 674 523  E Yes 637 379  E Yes 696 391
    E Yes 632 403  E Yes 639 613  E Yes 745 596  E Yes 789 520  M Yes 656 1573  E Yes 789 371
    H Yes 517 1908  H Yes 478 2181  H Yes 582 2106  E Yes 592 532  E Yes 587 381  E Yes 553 624
    E Yes 516 704  E Yes 535 602  E Yes 566 686  E No 481 607  E Yes 472 209  E Yes 559 643
    E Yes 610 331  E Yes 599 641  E Yes 551 479  E Yes 554 535  E No 561 561  E No 505 695
    E No 492 426  E Yes 504 657  E Yes 487 300  E Yes 627 612  E Yes 465 466  E Yes 529 352
    E Yes 625 559  E Yes 436 363  E Yes 542 558  E No 515 257  M Yes 461 1243  M Yes 528 1260
    M Yes 512 1306  M Yes 508 1344  E Yes 670 119  E Yes 760 818  E Yes 652 118  E Yes 546 145
    E Yes 717 486  E Yes 701 371  E Yes 748 377  E Yes 735 265  M No 699 930  E Yes 685 336
    E Yes 827 448  M Yes 711 1023  E Yes 677 387  M No 759 940  E Yes 697 525  E Yes 742 427
    E Yes 691 390  E Yes 700 358  E Yes 551 274  H Yes 703 2147  E Yes 676 479  E Yes 714 441
    E Yes 842 476  E Yes 824 511  E Yes 717 385  E Yes 836 443  M Yes 733 696  E Yes 719 332
    M Yes 817 738  E Yes 749 425  E Yes 781 302
"""

PW = 33.846996307373
POPULATION = 6194


def apiclus1() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    fields = APICLUS1.split()
    rows = [fields[i : i + 4] for i in range(0, len(fields), 4)]
    sample = {
        "stype": np.array([r[0] for r in rows]),
        "sch.wide": np.array([r[1] for r in rows]),
    }
    api00 = np.array([float(r[2]) for r in rows])
    enroll = np.array([float(r[3]) for r in rows])
    return sample, api00, enroll


def test_the_copied_data_match_the_package() -> None:
    sample, api00, enroll = apiclus1()
    assert len(api00) == 183
    assert Counter(sample["stype"].tolist()) == {"E": 144, "H": 14, "M": 25}
    assert round(float(api00.mean()), 2) == 644.17
    assert round(float(enroll.sum() * PW)) == 3404940


def test_raking_matches_the_survey_package() -> None:
    sample, api00, enroll = apiclus1()
    targets = {
        "stype": {"E": 4421 / POPULATION, "H": 755 / POPULATION, "M": 1018 / POPULATION},
        "sch.wide": {"No": 1072 / POPULATION, "Yes": 5122 / POPULATION},
    }
    result = rake(sample, targets, population=POPULATION, tolerance=1e-10, max_iterations=500)
    w = result.weights
    assert result.converged
    assert w.sum() == pytest.approx(POPULATION)
    # svymean(~api00, dclus1r): 641.23
    assert round(float(np.average(api00, weights=w)), 2) == 641.23
    # svytotal(~enroll, dclus1g) converged raking: 3647280; rake()'s looser stop: 3647300
    total = float((w * enroll).sum())
    assert total == pytest.approx(3647280, abs=0.5)
    assert total == pytest.approx(3647300, abs=50)
    # the raked weights reproduce the population counts
    for variable, shares in targets.items():
        for level, share in shares.items():
            mask = sample[variable] == level
            assert w[mask].sum() == pytest.approx(share * POPULATION, rel=1e-9)
