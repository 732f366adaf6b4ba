"""The project as a whole: the package's layers and its packaging."""
