"""The rasa-sdk action server: answers from the catalogue, record status, office finder,
handoff and feedback. Rasa discovers the actions in these modules."""
