"""Gives back its address to an account an unconfirmed change of email left without one.

Before the fix in accounts/forms.py, changing the address of an account that had never
confirmed its own dropped that address and left the account's email blank: the account
could no longer log in with either address. Its one remaining address (the one it was
changing to, the only address the person still has on record) becomes its email again.
"""

from django.db import migrations


def restore(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    for user in User.objects.filter(email=""):
        addresses = list(EmailAddress.objects.filter(user=user))
        if len(addresses) == 1 and not User.objects.filter(email=addresses[0].email).exists():
            user.email = addresses[0].email
            user.save(update_fields=["email"])
            EmailAddress.objects.filter(pk=addresses[0].pk).update(primary=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_recovery_codes_names"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(restore, migrations.RunPython.noop)]
