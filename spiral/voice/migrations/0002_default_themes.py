"""The shared list of themes a new installation starts from (editable data, not constants in code)."""

from django.db import migrations

THEMES = {
    "Communication": "communication communicate explain explained explaining told listen listened listening "
    "information informed update updates spoke talk talked answer answered",
    "Waiting": "wait waited waiting queue delay delayed delays late hours long slow appointment cancelled",
    "Dignity and respect": "dignity respect respected privacy private dignified curtain curtains embarrassed",
    "Food and drink": "food meal meals drink drinks tea coffee breakfast lunch dinner hungry thirsty water menu",
    "Staff attitude": "kind kindness caring friendly rude polite helpful compassionate compassion attitude "
    "lovely patient dismissive",
    "Environment": "clean cleanliness dirty noise noisy quiet ward room bed beds toilet toilets cold hot "
    "temperature parking comfortable",
    "Discharge": "discharge discharged home leaving transport pharmacy medication medicines tablets",
    "Staffing levels": "busy short staffed understaffed staffing overstretched shortage enough",
    "Involvement in care": "involved involve involvement decisions choice choices plan family carer carers",
    "Pain and symptoms": "pain painful comfort relief symptoms sleep",
}


def add_themes(apps, schema_editor):
    Theme = apps.get_model("voice", "Theme")
    for name, keywords in THEMES.items():
        Theme.objects.get_or_create(name=name, defaults={"keywords": keywords})


def remove_themes(apps, schema_editor):
    apps.get_model("voice", "Theme").objects.filter(name__in=list(THEMES)).delete()


class Migration(migrations.Migration):
    dependencies = [("voice", "0001_forms_answers_themes_stories")]

    operations = [migrations.RunPython(add_themes, remove_themes)]
