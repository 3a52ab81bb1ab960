"""The Zalo Official Account channel: webhook events in, consultation messages out."""
