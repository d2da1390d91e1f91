"""The PySide6 desktop app (imports gradviz.core, never the other way)."""
