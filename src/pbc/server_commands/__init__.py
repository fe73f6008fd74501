"""Django's account commands run at the server (`django-admin changepassword`,
`createsuperuser`), held to the rules the admin pages follow (`pbc.signin.staff_changes`): the
change is audited, the user told, and a password the operator sets is temporary.

This app holds nothing else, and is listed before `django.contrib.auth` in INSTALLED_APPS so
that its commands replace Django's own of the same names.
"""
