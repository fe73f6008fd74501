from django.apps import AppConfig


class ServerCommandsConfig(AppConfig):
    name = "pbc.server_commands"
    label = "server_commands"
    verbose_name = "Account commands at the server"
