-- API keys may expire and may be revoked; a revoked or expired key authenticates nobody.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz;
