"""The source register: SQL reader, validation rules, canonical record and content hash."""
