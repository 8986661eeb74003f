"""The fleet hub: the server kiosks enrol with and send their outbox to (``kiosk hub serve``; extra ``.[hub]``)."""
