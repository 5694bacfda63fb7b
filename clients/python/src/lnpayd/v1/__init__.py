"""Generated from proto/lnpayd/v1 by scripts/generate.py; do not edit."""
