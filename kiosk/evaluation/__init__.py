"""`kiosk eval`: how well a kiosk answers a venue's questions, for operators checking a pack before deploying."""
