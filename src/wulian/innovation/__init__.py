"""创新积分: innovation-points specs, evaluation runs, lists, portraits and credit tiers."""
