"""tinkergen: generate a typed Python client package from the Tinker OpenAPI spec."""
