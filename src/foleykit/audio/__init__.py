"""Audio post and delivery files."""

DELIVERY_SAMPLE_RATE = 48000  # every delivered file, every placement and every analysis here (DESIGN §2)
