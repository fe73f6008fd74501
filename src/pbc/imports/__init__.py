"""The app side of warehouse imports: the record of every import (`ImportRun`, in the app
database), importing a file as a user or the system with its audit event (`actions`), and the
imports page (upload, list, quarantine download).

The import itself (validation, quarantine, the atomic partition swap) is `pbc.warehouse.ingest`,
which knows nothing of Django; this app wraps it. The table keeps its name from when the model
lived in `pbc.warehouse` (`warehouse_importrun`), and its migrations replace the ones applied
under the `warehouse` label, so an existing database migrates with no change to its data.
"""
