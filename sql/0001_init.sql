-- lwbs schema, version 1. Forward-only: a later change is a new numbered
-- file. Applied by `lwbsctl db migrate` inside one transaction, which also
-- records the version in schema_version.

CREATE TABLE schema_version (
	version integer PRIMARY KEY,
	name text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
);

-- A profile is stored as its canonical document: the YAML schema of
-- docs/provisioning.md as JSON (which the same loader reads), secrets
-- replaced by "redacted" and kept in profile_secrets. hash covers the
-- document and its secrets, hash_redacted the document alone; NULL hash:
-- last written from a redacted export.
CREATE TABLE profiles (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE,
	doc jsonb NOT NULL,
	hash bytea,
	hash_redacted bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE profile_secrets (
	profile_id bigint NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	path text[] NOT NULL,
	secret bytea NOT NULL,
	is_text boolean NOT NULL,
	PRIMARY KEY (profile_id, path)
);

-- The DM server accounts of each profile, derived from profiles.doc on
-- every write of the profile (for queries and for generated_credentials).
CREATE TABLE profile_servers (
	profile_id bigint NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	ssid integer NOT NULL CHECK (ssid BETWEEN 1 AND 65534),
	uri text NOT NULL,
	security text NOT NULL,
	PRIMARY KEY (profile_id, ssid)
);

CREATE TABLE devices (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	endpoint text NOT NULL UNIQUE,
	profile_id bigint NOT NULL REFERENCES profiles (id),
	batch text,
	overrides jsonb,
	hash bytea,
	hash_redacted bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_batch ON devices (batch);
CREATE INDEX devices_profile ON devices (profile_id);

-- value as written; key as matched (msisdn without '+', imei/imeisv on
-- its first 14 digits), unique per kind.
CREATE TABLE device_identities (
	device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	kind text NOT NULL CHECK (kind IN ('imsi', 'msisdn', 'imei', 'psk_id', 'cert_subject')),
	value text NOT NULL,
	key text NOT NULL,
	PRIMARY KEY (device_id, kind),
	UNIQUE (kind, key)
);

-- Secrets of a device (its own PSK, secrets in its overrides), by their
-- JSON path in the device document. Printed only with --show-secrets.
CREATE TABLE device_credentials (
	device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	path text[] NOT NULL,
	secret bytea NOT NULL,
	is_text boolean NOT NULL,
	PRIMARY KEY (device_id, path)
);

-- Per-device DM credentials lwbsd generates during a bootstrap session.
CREATE TABLE generated_credentials (
	device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
	ssid integer NOT NULL CHECK (ssid BETWEEN 1 AND 65534),
	psk_identity text NOT NULL,
	psk_key bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	rotated_at timestamptz,
	PRIMARY KEY (device_id, ssid)
);

-- Who holds an address, from RADIUS accounting.
CREATE TABLE radius_bindings (
	address inet PRIMARY KEY,
	imsi text,
	msisdn text,
	imei text,
	apn text,
	nas text,
	acct_session_id text,
	serving_plmn text,
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX radius_bindings_imsi ON radius_bindings (imsi);

CREATE TABLE session_audit (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	endpoint text,
	peer text NOT NULL,
	result text NOT NULL,
	reason text,
	identity_kind text,
	identity_value text,
	duration_ms integer
);
CREATE INDEX session_audit_at ON session_audit (at);
CREATE INDEX session_audit_endpoint ON session_audit (endpoint, at);

-- A document with its secrets put back (export --show-secrets): bytes as
-- "hex:..", text as is.
CREATE FUNCTION lwbs_unredact(doc jsonb, secrets jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	s jsonb;
BEGIN
	IF secrets IS NULL THEN
		RETURN doc;
	END IF;
	FOR s IN SELECT * FROM jsonb_array_elements(secrets) LOOP
		doc := jsonb_set(doc, ARRAY(SELECT jsonb_array_elements_text(s->'p')), s->'v');
	END LOOP;
	RETURN doc;
END
$$;
