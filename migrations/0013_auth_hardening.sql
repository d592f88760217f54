-- 0013: login throttling that does not lock the right password out, and account phones
-- sealed like case phones (issue 11, items 6 and 14).
--
-- A browser that logged in successfully gets a device token (cookie gl_device); only its
-- SHA-256 is stored. A login carrying a known device token of that user is not held back by
-- the failures other clients caused against the account or the address. 'failures' counts
-- wrong passwords sent with the token: past the per-user limit the device is no longer
-- trusted until it logs in again.
CREATE TABLE login_devices (
    token_hash  TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    failures    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER NOT NULL
);
CREATE INDEX login_devices_user ON login_devices(user_id, used_at);

-- Account phones: secretbox under the data key (base64 of nonce || ciphertext), the mask
-- shown by default and a keyed hash, as cases.citizen_phone_*. The clear column 'phone' is
-- emptied at start-up by `serve` (auth_user_seal_phones), which has the key.
ALTER TABLE users ADD COLUMN phone_enc TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone_mask TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone_hash TEXT NOT NULL DEFAULT '';
