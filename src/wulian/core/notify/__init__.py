"""In-app notifications, with email and SMS for those who ask for them (see service.py)."""
