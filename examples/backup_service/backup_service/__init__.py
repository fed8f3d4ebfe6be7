"""A small backup service: the example project of mocktools."""
