"""Word lists for the names and address heuristics of `spiral.core.screening`.

FIRST_NAMES: common given names in the UK across generations and communities (the kind people write after
"I'm", "my husband", "Thanks,"), written by hand from the ONS baby-name tables' most frequent names of
1950-2020 and the names most common among British South Asian, Polish, Caribbean and West African families.
Names that are also ordinary words or months (May, June, April, Will, Hope, Grace, Rose...) are left out of
the lower-case rule (a capitalised one after a strong cue is still caught).

COMMON_WORDS: words that follow a cue ("I'm", "this is", "Thanks,") but are not names: function words,
feelings, roles and the names of places of care. A capitalised one is never taken as a name.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FIRST_NAMES = _words(
    """
    aaliyah aaron abdul abdullah abigail abu adam adebayo adeola adrian agnes ahmed aidan aisha alan albert
    alex alexander alexandra alfie ali alice alison amanda amar amber amelia amina amir amy andrea andrew
    andy angela anil anita ann anna anne annie anthony anton archie arjun arthur asha ashley asif audrey ava
    ayesha barbara barry becky ben benjamin bernard beryl beth bethany betty beverley bilal billy bob bogdan
    brenda brian bridget callum carl carol caroline catherine charlie charlotte chelsea chloe chris christine
    christopher claire clare colin connor craig dale daniel danielle danny darren dave david dawn dean deborah
    debbie declan deepak denise dennis derek diana diane donna doreen doris dorothy dylan edith edward eileen
    elaine eleanor elizabeth ella ellie elsie emily emma eric ethan evelyn fatima fiona frances francesca frank
    freddie freya gail gareth gary gavin gemma geoff geoffrey george georgia gerald gillian glenda glenys gordon
    graham gwen hamza hannah harjit harold harriet harry harvey hassan hayley hazel heather helen henry hilda
    hollie holly hussain ian imran irene isaac isabel isabella isabelle isla ivy jack jackie jacob jade jagdish
    jake james jamie jan jane janet janice jasmine jason jasvinder jayden jean jeanette jeff jemma jennifer
    jenny jeremy jess jessica jill jim jimmy joan joanne jodie joe joel john jon jonathan jordan joseph josh
    joshua joyce judith judy julia julie justin kaitlyn kamal karen karina kate katherine kathleen kathryn
    katie kayleigh keith kelly kenneth kerry kevin kieran kim kirsty kofi krystyna kwame kyle laura lauren
    leah lee leigh leo leon lesley leslie lewis liam lily linda lindsay lisa logan lois lorraine louise lucas
    lucy luke lynn lynne maciej madison magdalena maisie malcolm mandy manjit manoj margaret maria marian
    marie marjorie marek martin martyn mary mason matilda matt matthew maureen megan melanie melissa michael
    michelle mick mike mildred millie mohammed mohammad molly muhammad nadia naomi natalie natasha neil nicola
    nicole nigel niamh noah norman oliver olivia omar oscar owen pamela patricia paul paula pauline peggy
    peter philip phillip piotr pooja priya rachel raj rajesh ravi rebecca reece rhys richard rita rob robert
    robin roger ronald ross ruby rukhsana ryan sadia sajid sally samantha samuel sandra sanjay sara sarah scott
    sean shaun sharon sheila shirley simon sinead sophie stacey stanley stella stephanie stephen steve steven
    stuart sue susan suzanne sylvia tariq teresa terry theo thomas tim timothy tina toby tom tomasz tony tracey
    tracy trevor tyler usman valerie vanessa vera victoria vikram vincent violet wayne wendy william yasmin
    yusuf zainab zara zoe zofia
    """
)

# Given names that are also ordinary words: caught after a strong cue when capitalised, never in lower case.
WORD_NAMES = _words(
    "will may june april hope grace rose faith joy bill mark sunny ray amber jade ruby holly heather hazel ivy "
    "violet robin lily jan frank rob sue pat victoria"
)

COMMON_WORDS = _words(
    """
    a about after again all also always am an and any anyone are as at away back be because been before being
    best both but by can cannot could did do does doing done each even ever every everyone everybody feeling
    for from get getting glad going good grateful had happy has have having he her here him his how however
    i if in into is it its just kind last like looking lucky many me more most much my myself new next no not
    nothing now of off ok okay on once one only or other our out over please pleased quite rather really
    relieved same she should since so some someone something sorry still such sure than thank thanks that the
    their them then there these they this those to today too under unhappy up upset us very was we well were
    what when where which while who why with worried would writing yes yet you your yours
    calling ringing phoning here there afraid disappointed frustrated concerned confused delighted impressed
    angry annoyed scared nervous fine better worse fed tired
    everyone team staff all anybody nobody folks guys lot
    ward wards unit units bay bed beds room side hospital hospitals trust trusts nhs clinic clinics centre
    center surgery practice practices royal general infirmary university community department dept service
    services board icb region health care home homes hospice pharmacy theatre theatres outpatients outpatient
    emergency urgent maternity children childrens paediatric paediatrics medical surgical acute district
    national integrated primary secondary mental adult adults older people patient patients carer carers
    family families relative relatives visitor visitors public reception desk front
    doctor doctors nurse nurses sister matron consultant consultants registrar manager managers lead leads
    coordinator coordinators assistant assistants practitioner practitioners therapist therapists physio
    physios midwife midwives porter porters cleaner cleaners paramedic paramedics pharmacist pharmacists
    receptionist receptionists healthcare student students junior senior charge deputy head chief clinical
    director directors officer officers specialist specialists advanced staffnurse hca hcas gp gps
    monday tuesday wednesday thursday friday saturday sunday january february march july august
    september october november december
    pdsa cycle cycles project projects aim aims plan plans change changes idea ideas test tests week weeks
    month months day days year years morning evening night afternoon shift shifts audit data chart charts
    measure measures result results update note notes review reviews sample baseline target group groups
    north south east west central upper lower new old great greater little saint st
    led associate associates rounds navigator champion champions huddle huddles safety quality improvement
    advocate bank agency staffing training education educator lead-in
    british english scottish welsh irish polish diabetic deaf blind disabled autistic pregnant vegan
    muslim christian jewish hindu sikh catholic
    """
)

# Words before a street suffix that make the phrase a quantity, not an address ("a 6 minute walk").
NOT_STREET_WORDS = _words(
    """
    minute minutes min mins hour hours hr hrs day days week weeks month months year years mile miles metre
    metres meter meters yard yards km bed beds bay bays patient patients staff nurse nurses times time people
    new more extra other main side back front car cars bus buses lane lanes way ways step steps
    """
)

# Mail providers people give as home addresses: "jo at gmail.com" is an address, "guidance at nhs.uk" is not.
MAIL_PROVIDERS = _words(
    "gmail googlemail hotmail yahoo outlook live icloud me mac aol btinternet btopenworld sky virginmedia "
    "talktalk ntlworld protonmail proton msn mail nhs"
)

# A capitalised word followed by one of these is the name of a place ("this is Victoria Ward").
PLACE_WORDS = _words(
    "ward wards unit hospital house wing centre center suite lounge clinic surgery practice trust road street "
    "lane avenue building block court team service department health medical hospice hub school college "
    "university group ward's royal general infirmary community"
)
