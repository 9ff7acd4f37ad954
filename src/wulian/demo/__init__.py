"""The synthetic demo zone (示例高新区)."""
