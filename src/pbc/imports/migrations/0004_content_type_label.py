"""The import records' content type (permissions, admin log) follows the model from the
`warehouse` label to `imports`, so no stale type is left behind and none is duplicated."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def relabel(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not content_type.objects.using(db).filter(app_label="imports", model="importrun").exists():
        content_type.objects.using(db).filter(app_label="warehouse", model="importrun").update(
            app_label="imports"
        )


def unlabel(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not content_type.objects.using(db).filter(app_label="warehouse", model="importrun").exists():
        content_type.objects.using(db).filter(app_label="imports", model="importrun").update(
            app_label="warehouse"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0003_import_layout_and_dropped"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(relabel, unlabel)]
