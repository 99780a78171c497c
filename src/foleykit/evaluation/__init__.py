"""`foleykit eval`: how good the bundled model is, measured by a classifier trained on synthesised sound."""
