-- The production database has run the app's migrations: Django's record of
-- them, as `manage.py migrate` left it. (The data spec, data.yaml, fills the
-- app's own tables.)
INSERT INTO django_migrations (app, name, applied) VALUES
    ('resources', '0001_initial', '2016-01-04 09:12:31.401925+00');
