-- lwbs schema, version 2: auto-enrolment templates and enrolled devices
-- (docs/identity.md, docs/postgres.md).

-- The `templates:` list of the provisioning files, in file order: the
-- first that fits an unknown device's binding wins. `lwbsctl provision
-- apply` replaces the whole list when the files it is given have a
-- `templates:` key.
CREATE TABLE templates (
	position integer PRIMARY KEY CHECK (position >= 1),
	plmn text CHECK (plmn ~ '^[0-9]{5,6}$'),
	apn text,
	profile_id bigint NOT NULL REFERENCES profiles (id)
);

-- A device lwbsd enrolled from a template on its first bootstrap (NULL:
-- provisioned): when, and the template that fitted then (position, plmn,
-- apn, profile). Such a device has no batch, so `provision apply --prune`
-- never removes it; `provision export` leaves it out (it is state, like
-- its generated credentials). A provisioning file that lists its endpoint
-- or one of its identities replaces it.
ALTER TABLE devices ADD COLUMN enrolled_at timestamptz;
ALTER TABLE devices ADD COLUMN enrolled_template jsonb;
CREATE INDEX devices_enrolled ON devices (enrolled_at) WHERE enrolled_at IS NOT NULL;
