"""A test corpus for catalogue search: 56 project descriptions and 24 queries people type, each with the
projects that must be among the first five results (recall@5)."""

from __future__ import annotations

# key: (title, problem and aim, topic)
PROJECTS: dict[str, tuple[str, str, str]] = {
    "falls_ward": (
        "Inpatient falls reduction on Ward 7",
        "Older patients fall at night when they get up to use the toilet alone. Reduce inpatient falls per 1,000 bed days by half.",
        "falls",
    ),
    "falls_stroke": (
        "Fewer falls on the stroke unit",
        "Patients after a stroke fall during transfers. Reduce falls with harm on the stroke rehabilitation ward.",
        "falls",
    ),
    "falls_care_home": (
        "Falls in care homes",
        "Residents in our care homes fall often and are taken to hospital. Cut falls and conveyances from care homes.",
        "falls",
    ),
    "pu_community": (
        "Preventing pressure ulcers in the community",
        "District nurses see category 2 pressure ulcers develop at home. Reduce new pressure ulcers among housebound patients.",
        "pressure ulcers",
    ),
    "pu_icu": (
        "Pressure ulcer prevention in intensive care",
        "Ventilated patients develop pressure ulcers on the heels and sacrum. Use SSKIN bundle to prevent pressure damage.",
        "pressure ulcers",
    ),
    "pu_ward": (
        "Reducing hospital acquired pressure ulcers on Elm Ward",
        "Frail patients on Elm Ward develop pressure ulcers within a week. Increase repositioning and skin checks.",
        "pressure ulcers",
    ),
    "dna_outpatients": (
        "Reducing DNA rates in outpatients",
        "One in ten patients do not attend their outpatient appointment (DNA). Text reminders and easier rebooking.",
        "access",
    ),
    "dna_gp": (
        "Fewer missed GP appointments",
        "Our practice loses 60 appointments a week to patients who DNA. Reduce DNAs with reminders.",
        "access",
    ),
    "dna_children": (
        "Was not brought: children's clinic attendance",
        "Children are not brought to paediatric clinic appointments; we call families the day before.",
        "access",
    ),
    "sepsis_ed": (
        "Sepsis six within one hour in the emergency department",
        "Only half of patients with red flag sepsis get antibiotics within an hour in ED.",
        "sepsis",
    ),
    "sepsis_wards": (
        "Recognising the deteriorating patient on medical wards",
        "NEWS2 scores are not escalated, so sepsis and deterioration are treated late.",
        "sepsis",
    ),
    "aki": (
        "Acute kidney injury care bundle",
        "Patients with AKI are not reviewed for nephrotoxic medicines and fluids. Use an AKI bundle.",
        "kidney",
    ),
    "aki_surgery": (
        "Protecting kidneys after surgery",
        "Acute kidney injury after major surgery is common; we track creatinine and fluid balance.",
        "kidney",
    ),
    "vte": (
        "VTE risk assessment on admission",
        "Venous thromboembolism risk assessments are missed on admission, so prophylaxis is late.",
        "vte",
    ),
    "vte_ortho": (
        "Blood clot prevention after hip replacement",
        "Deep vein thrombosis after orthopaedic surgery: make sure patients get prophylaxis and stockings.",
        "vte",
    ),
    "cdiff": (
        "Reducing C. difficile infections",
        "Clostridioides difficile cases rose on our care of the elderly wards; antibiotic stewardship and isolation.",
        "infection",
    ),
    "mrsa": (
        "MRSA screening compliance",
        "Elective admissions are not screened for MRSA before surgery.",
        "infection",
    ),
    "hand_hygiene": (
        "Hand hygiene at the bedside",
        "Staff miss hand hygiene moments before touching patients; gel at every bed.",
        "infection",
    ),
    "cauti": (
        "Catheter associated urinary tract infections",
        "Urinary catheters stay in too long and cause infections; a nurse-led removal protocol.",
        "infection",
    ),
    "discharge": (
        "Earlier discharges before midday",
        "Most patients leave the ward in the evening, so the emergency department waits for beds. Discharge before noon.",
        "flow",
    ),
    "delayed_discharge": (
        "Reducing delayed transfers of care",
        "Medically fit patients wait days for care packages; a discharge to assess pathway.",
        "flow",
    ),
    "board_round": (
        "Daily board rounds on surgical wards",
        "Plans for each patient are unclear; a short daily board round with the whole team.",
        "flow",
    ),
    "ed_waits": (
        "Four hour standard in A&E",
        "Patients wait over four hours in the emergency department; streaming at the front door.",
        "urgent care",
    ),
    "ambulance_handover": (
        "Faster ambulance handovers",
        "Ambulances queue outside the emergency department; a rapid handover area.",
        "urgent care",
    ),
    "missed_doses": (
        "Missed doses of critical medicines",
        "Patients with Parkinson's miss time-critical medicines on the ward.",
        "medicines safety",
    ),
    "insulin": (
        "Safer insulin prescribing",
        "Insulin errors harm patients with diabetes; an insulin safety checklist.",
        "medicines safety",
    ),
    "antibiotic_review": (
        "48 hour antibiotic review",
        "Antibiotic prescriptions are not reviewed at 48 hours; start smart then focus.",
        "medicines safety",
    ),
    "sleep": (
        "Better sleep at night on the wards",
        "Patients say noise and light at night stop them sleeping; quiet hours and eye masks.",
        "patient experience",
    ),
    "nutrition": (
        "Protected mealtimes and nutrition",
        "Patients lose weight in hospital; MUST screening and help with eating.",
        "nutrition",
    ),
    "hydration": (
        "Hydration in care homes",
        "Residents become dehydrated in summer; drinks rounds and coloured cups.",
        "nutrition",
    ),
    "delirium": (
        "Delirium screening for older patients",
        "Acute confusion in older inpatients is missed; 4AT screening on admission.",
        "dementia",
    ),
    "dementia_carers": (
        "John's Campaign: carers stay with people with dementia",
        "Carers of people with dementia are sent home at the end of visiting hours.",
        "dementia",
    ),
    "staff_wellbeing": (
        "Staff wellbeing and sickness absence",
        "Sickness absence is high and staff report burnout; wellbeing huddles.",
        "staff wellbeing",
    ),
    "retention": (
        "Keeping newly qualified nurses",
        "A quarter of newly qualified nurses leave in the first year; preceptorship.",
        "workforce",
    ),
    "waiting_list": (
        "Shorter waits for first physiotherapy appointment",
        "Waiting times for musculoskeletal physiotherapy are twelve weeks; self-referral and triage.",
        "access",
    ),
    "rtt": (
        "Referral to treatment in ophthalmology",
        "The waiting list for cataract surgery is growing; high volume lists.",
        "access",
    ),
    "mh_crisis": (
        "Mental health crisis response",
        "People in mental health crisis wait in A&E; a crisis café and street triage.",
        "mental health",
    ),
    "camhs": (
        "CAMHS waiting times",
        "Young people wait months for child and adolescent mental health services.",
        "mental health",
    ),
    "restraint": (
        "Reducing restrictive practice",
        "Physical restraint on mental health wards; safewards interventions.",
        "mental health",
    ),
    "copd": (
        "COPD admissions avoidance",
        "People with chronic obstructive pulmonary disease are admitted with exacerbations; rescue packs.",
        "respiratory",
    ),
    "asthma": (
        "Asthma reviews in primary care",
        "Children with asthma lack a personalised action plan.",
        "respiratory",
    ),
    "hip_fracture": (
        "Hip fracture surgery within 36 hours",
        "Patients with a fractured neck of femur wait too long for theatre.",
        "surgery",
    ),
    "ssi": (
        "Surgical site infection after caesarean",
        "Wound infections after caesarean section; skin preparation bundle.",
        "surgery",
    ),
    "theatre": (
        "Theatre start times",
        "Lists start late and cases are cancelled on the day; team brief at 8am.",
        "surgery",
    ),
    "stroke_thrombolysis": (
        "Door to needle time for stroke thrombolysis",
        "Thrombolysis for stroke is given more than an hour after arrival.",
        "stroke",
    ),
    "cardiac_rehab": (
        "Cardiac rehabilitation uptake after heart attack",
        "Few patients after myocardial infarction start cardiac rehabilitation.",
        "cardiology",
    ),
    "diabetes_foot": (
        "Diabetic foot checks",
        "Foot ulcers and amputations in diabetes; annual foot checks in primary care.",
        "diabetes",
    ),
    "end_of_life": (
        "Advance care planning at the end of life",
        "People die in hospital who wished to die at home; conversations early.",
        "end of life",
    ),
    "medication_review": (
        "Structured medication reviews for frail patients",
        "Polypharmacy in frail older people; pharmacist reviews in general practice.",
        "medicines safety",
    ),
    "safeguarding": (
        "Safeguarding referrals quality",
        "Safeguarding referrals lack key information; a referral template.",
        "safeguarding",
    ),
    "fft": (
        "Friends and family test response rates",
        "Few patients complete the friends and family test; QR codes and tablets.",
        "patient experience",
    ),
    "complaints": (
        "Learning from complaints",
        "Complaints about communication on the wards; a listening event and actions.",
        "patient experience",
    ),
    "transfusion": (
        "Appropriate blood transfusion",
        "Single unit transfusion policy to reduce unnecessary blood use.",
        "blood",
    ),
    "maternity_pph": (
        "Postpartum haemorrhage prevention",
        "Obstetric haemorrhage after birth; quantitative blood loss measurement.",
        "maternity",
    ),
    "breastfeeding": (
        "Breastfeeding support on the postnatal ward",
        "Mothers stop breastfeeding early; peer supporters on the ward.",
        "maternity",
    ),
    "smoking": (
        "Smoking cessation for inpatients",
        "Smokers admitted to hospital are not offered nicotine replacement.",
        "public health",
    ),
}

# (query, keys that must be in the first five results)
QUERIES: list[tuple[str, list[str]]] = [
    ("bed sores", ["pu_community", "pu_icu", "pu_ward"]),
    ("missed appointments", ["dna_outpatients", "dna_gp"]),
    ("falls", ["falls_ward", "falls_stroke", "falls_care_home"]),
    ("inpatient falls reduction", ["falls_ward"]),
    ("DNA", ["dna_outpatients", "dna_gp"]),
    ("did not attend", ["dna_outpatients", "dna_gp"]),
    ("AKI", ["aki", "aki_surgery"]),
    ("acute kidney injury", ["aki", "aki_surgery"]),
    ("VTE", ["vte", "vte_ortho"]),
    ("blood clots", ["vte", "vte_ortho"]),
    ("C. diff", ["cdiff"]),
    ("sepsis", ["sepsis_ed", "sepsis_wards"]),
    ("sepsiss", ["sepsis_ed", "sepsis_wards"]),
    ("pressure ulcers", ["pu_community", "pu_icu", "pu_ward"]),
    ("PRESSURE ULCER", ["pu_community", "pu_icu", "pu_ward"]),
    ("preasure ulcers", ["pu_community", "pu_icu", "pu_ward"]),
    ("delayed discharges", ["delayed_discharge"]),
    ("A&E waits", ["ed_waits"]),
    ("heart attack", ["cardiac_rehab"]),
    ("fractured neck of femur", ["hip_fracture"]),
    ("acute confusion", ["delirium"]),
    ("sick leave", ["staff_wellbeing"]),
    ("catheter infections", ["cauti"]),
    ("insulin errors", ["insulin"]),
    ("child and adolescent mental health services", ["camhs"]),
]
