"""Demonstration interventions and their ratings (see :mod:`.demo`).

Every summary is written for this project.  The studies, authors and numbers are made up
to show how the Evidence Store works and are labelled as demonstration data everywhere.
"""

from __future__ import annotations

# (slug, name, summary, ages, needs, setting, delivery, workforce, cost, availability); several
# age groups or levels of need are separated by semicolons, as in a CSV import.
INTERVENTIONS: list[tuple[str, ...]] = [
    (
        "family-group-conferences",
        "Family group conferences",
        "An independent coordinator brings the wider family together to make a plan to keep "
        "a child safe. The family has private time to agree the plan, which professionals "
        "then accept unless it leaves the child at risk.",
        "all",
        "child-protection;edge-of-care",
        "Children's social care, before or during care proceedings",
        "One conference, prepared over three to six weeks, with a review meeting later.",
        "Independent coordinators trained in the model; social workers who attend and agree "
        "the plan.",
        "2-medium-low",
        "wide",
    ),
    (
        "signs-of-safety",
        "Signs of Safety",
        "A practice framework for child protection work that asks what families are worried "
        "about, what is working well and what needs to happen, and builds safety plans with "
        "the family and their network.",
        "all",
        "child-in-need;child-protection",
        "Whole local authority children's services",
        "Adopted across a service, with mapping tools used in assessments, conferences and "
        "supervision.",
        "Training for every practitioner and manager, practice leads and ongoing coaching.",
        "1-low",
        "wide",
    ),
    (
        "multisystemic-therapy",
        "Multisystemic therapy",
        "Intensive family- and community-based treatment for young people with serious "
        "behaviour problems or offending, working with parents to change the young person's "
        "home, school and friendship networks.",
        "12-17",
        "child-in-need;edge-of-care",
        "The family home and community",
        "A therapist visits several times a week for three to five months, on call at any hour.",
        "Licensed teams of therapists with small caseloads, weekly supervision and "
        "consultation from the model's developers.",
        "4-medium-high",
        "some",
    ),
    (
        "family-drug-and-alcohol-court",
        "Family drug and alcohol courts",
        "A problem-solving court for care proceedings where parental substance misuse is a "
        "concern. The same judge reviews progress every fortnight and a specialist team "
        "helps parents to stop using drugs or alcohol.",
        "all",
        "child-protection",
        "Family court, with a multidisciplinary team",
        "Fortnightly non-lawyer hearings and an intervention plan over about a year.",
        "Trained judges; a team of social workers, substance misuse workers, a psychiatrist "
        "and a family therapist.",
        "4-medium-high",
        "some",
    ),
    (
        "incredible-years-parenting",
        "Incredible Years parenting programme",
        "A group parenting programme in which parents watch and discuss video examples, "
        "practise play, praise and calm limit-setting, and try them at home, to reduce "
        "young children's behaviour problems.",
        "0-4;5-11",
        "early-help;child-in-need",
        "Children's centres, schools and community venues",
        "Weekly two-hour groups of 10 to 14 parents for 12 to 20 weeks.",
        "Two trained group leaders per group, with accreditation and supervision.",
        "2-medium-low",
        "wide",
    ),
    (
        "schwartz-rounds",
        "Schwartz Rounds",
        "Regular forums where staff from across an organisation hear colleagues talk about "
        "the emotional side of their work, and reflect together, to reduce isolation and "
        "stress.",
        "all",
        "workforce",
        "Children's services departments and partner organisations",
        "A one-hour round each month, with a panel of three or four staff and open discussion.",
        "Trained facilitators, a clinical lead and a steering group; protected time for "
        "staff to attend.",
        "1-low",
        "some",
    ),
    (
        "functional-family-therapy",
        "Functional Family Therapy",
        "A short family therapy for young people with behaviour problems, substance use or "
        "offending, which reduces blame and negativity in the family before teaching new "
        "ways of communicating and solving problems.",
        "12-17",
        "child-in-need;edge-of-care",
        "Family home or clinic",
        "Eight to 30 sessions over three to six months.",
        "Therapists certified in the model, with weekly supervision.",
        "3-medium",
        "some",
    ),
    (
        "family-nurse-partnership",
        "Family Nurse Partnership",
        "A specially trained nurse visits young first-time mothers from early pregnancy until "
        "the child is two, to support a healthy pregnancy, the child's development and the "
        "mother's own plans.",
        "0-4",
        "early-help",
        "Home visits",
        "About 64 planned visits over two and a half years.",
        "Family nurses with small caseloads and weekly supervision.",
        "4-medium-high",
        "wide",
    ),
    (
        "video-interaction-guidance",
        "Video Interaction Guidance",
        "A practitioner films short clips of a parent and child together and then reviews "
        "the best moments with the parent, to build on what already works in their "
        "relationship.",
        "0-4;5-11",
        "early-help;child-in-need",
        "Family home",
        "Three to four cycles of filming and shared review over a few months.",
        "Practitioners accredited in the approach, with supervision.",
        "2-medium-low",
        "wide",
    ),
    (
        "mentoring-children-in-care",
        "Volunteer mentoring for children in care",
        "A trained volunteer meets a child in care regularly for at least a year, to offer a "
        "trusted adult relationship outside the care system.",
        "5-11;12-17",
        "in-care",
        "Community settings",
        "Weekly or fortnightly meetings for at least twelve months.",
        "Recruited and checked volunteers, with coordinators who match and support them.",
        "2-medium-low",
        "some",
    ),
    (
        "staying-put",
        "Staying Put",
        "Young people in foster care can stay with their foster carers after they turn 18, "
        "up to the age of 21, so that leaving care happens more gradually.",
        "18-25",
        "leaving-care",
        "Foster homes",
        "An arrangement agreed with the young person and carers, reviewed through the "
        "pathway plan.",
        "Personal advisers and fostering teams; allowances for carers.",
        "3-medium",
        "wide",
    ),
    (
        "restorative-practice",
        "Restorative practice",
        "A way of working across children's services that focuses on doing things with "
        "families rather than to or for them, using restorative conversations and meetings "
        "to repair harm and build relationships.",
        "all",
        "child-in-need;child-protection",
        "Whole local authority children's services",
        "Adopted across a service, with restorative meetings in assessments and planning.",
        "Training for all staff, practice leads and managers who model the approach.",
        "1-low",
        "some",
    ),
    (
        "safe-and-together",
        "Safe and Together model for domestic abuse",
        "A practice model for child protection where there is domestic abuse. It keeps the "
        "child safe and together with the non-abusive parent, and holds the person using "
        "abuse to account as a parent.",
        "all",
        "child-protection",
        "Children's social care and partner agencies",
        "Training and tools used in assessment, case planning and supervision.",
        "Core training for practitioners, supervisors trained as champions, and ongoing "
        "consultation.",
        "1-low",
        "pilot",
    ),
    (
        "social-workers-in-schools",
        "Social workers in schools",
        "Social workers are based in secondary schools, so that staff, pupils and families "
        "can talk to them early and concerns can be picked up sooner.",
        "12-17",
        "early-help;child-in-need",
        "Secondary schools",
        "A social worker based in one school, doing casework and advice.",
        "Qualified social workers placed in schools, with supervision from the local authority.",
        "3-medium",
        "pilot",
    ),
]

#: Where each is delivered (``Setting`` codes), by slug.
SETTINGS: dict[str, tuple[str, ...]] = {
    "family-group-conferences": ("childrens-services", "home"),
    "signs-of-safety": ("childrens-services",),
    "multisystemic-therapy": ("home", "community", "school"),
    "family-drug-and-alcohol-court": ("court",),
    "incredible-years-parenting": ("school", "community"),
    "schwartz-rounds": ("childrens-services",),
    "functional-family-therapy": ("home", "health"),
    "family-nurse-partnership": ("home",),
    "video-interaction-guidance": ("home",),
    "mentoring-children-in-care": ("community", "care-placement"),
    "staying-put": ("care-placement",),
    "restorative-practice": ("childrens-services",),
    "safe-and-together": ("childrens-services",),
    "social-workers-in-schools": ("school",),
}

# slug -> [(domain, effectiveness, why, strength, why[, why it departs from the rules])]
RATINGS: dict[str, list[tuple[str, ...]]] = {
    "family-group-conferences": [
        (
            "entering-care",
            "small-benefit",
            "Pooled studies suggest slightly fewer children entered care within a year.",
            "2-limited",
            "Two trials with some concerns about bias and results that differ in size.",
        ),
        (
            "family-functioning",
            "small-benefit",
            "Family functioning scores were slightly better with a conference.",
            "1-very-limited",
            "One small study at high risk of bias.",
        ),
    ],
    "signs-of-safety": [
        (
            "child-safety",
            "no-difference",
            "Re-referral rates were about the same after the framework was adopted.",
            "2-limited",
            "Comparison studies across authorities, with differences between them at the start.",
        ),
    ],
    "multisystemic-therapy": [
        (
            "entering-care",
            "no-difference",
            "In the UK trial, about as many young people entered care with and without it.",
            "3-moderate",
            "A large randomised trial in the UK with low risk of bias.",
        ),
        (
            "offending",
            "small-benefit",
            "Offending fell a little more than with usual services.",
            "3-moderate",
            "Randomised trials agree on direction, though UK effects are smaller than US ones.",
            "the larger UK trial found a smaller effect than the pooled estimate, and UK "
            "services should expect the UK result rather than the American one.",
        ),
    ],
    "family-drug-and-alcohol-court": [
        (
            "reunification",
            "moderate-benefit",
            "More mothers stopped misusing substances and were reunited with their children.",
            "2-limited",
            "Comparison studies, not trials, with families matched on what was recorded.",
        ),
        (
            "parental-substance-use",
            "moderate-benefit",
            "More parents stopped misusing drugs or alcohol by the end of proceedings.",
            "2-limited",
            "Comparison studies with some concerns about selection.",
        ),
    ],
    "incredible-years-parenting": [
        (
            "child-behaviour",
            "moderate-benefit",
            "Children's behaviour problems fell by a moderate amount compared with waiting lists.",
            "4-strong",
            "Several randomised trials, including in the UK, at low risk of bias.",
            "the trials agree closely, and the two UK trials at low risk of bias fall just "
            "short of the rules' 400 children (365) with a third, Irish, trial pointing the "
            "same way.",
        ),
        (
            "parenting",
            "moderate-benefit",
            "Parents used more praise and less harsh discipline.",
            "3-moderate",
            "Randomised trials, though parenting was reported by parents.",
        ),
    ],
    "schwartz-rounds": [
        (
            "workforce-wellbeing",
            "small-benefit",
            "Staff who attended reported slightly less psychological distress.",
            "1-very-limited",
            "Before-and-after comparisons in which regular attenders chose to come.",
        ),
    ],
    "functional-family-therapy": [
        (
            "offending",
            "small-benefit",
            "Offending was a little lower than with usual services.",
            "3-moderate",
            "Randomised trials, including one in the UK.",
        ),
    ],
    "family-nurse-partnership": [
        (
            "child-safety",
            "no-difference",
            "Rates of referral to children's social care were much the same.",
            "3-moderate",
            "One large UK randomised trial at low risk of bias; strong evidence needs two.",
        ),
    ],
    "video-interaction-guidance": [
        (
            "parenting",
            "moderate-benefit",
            "Parents were more sensitive and responsive with their children.",
            "2-limited",
            "Small trials with some concerns about bias.",
        ),
    ],
    "mentoring-children-in-care": [
        (
            "education",
            "small-benefit",
            "School engagement was slightly higher for mentored children.",
            "1-very-limited",
            "One small comparison study.",
        ),
    ],
    "staying-put": [
        (
            "placement-stability",
            "moderate-benefit",
            "Young people who stayed were less likely to move home in their first year.",
            "2-limited",
            "Comparison studies; young people who stay may differ from others.",
        ),
    ],
    "restorative-practice": [
        (
            "entering-care",
            "small-benefit",
            "Rates of children entering care fell slightly after adoption.",
            "1-very-limited",
            "Before-and-after comparisons within authorities.",
        ),
    ],
    "safe-and-together": [
        (
            "child-safety",
            "moderate-benefit",
            "Fewer cases of domestic abuse were closed without a plan for the person using abuse.",
            "1-very-limited",
            "Early evaluations without comparison groups.",
        ),
    ],
    "social-workers-in-schools": [
        (
            "child-safety",
            "no-difference",
            "Referrals and section 47 enquiries were about the same as in other schools.",
            "3-moderate",
            "A large cluster randomised trial in English schools.",
        ),
    ],
}
