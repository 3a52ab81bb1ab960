"""Facebook Messenger for a ward's fanpage: Graph API webhook in, Send API out."""
