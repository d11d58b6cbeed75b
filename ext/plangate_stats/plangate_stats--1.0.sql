/* ext/plangate_stats/plangate_stats--1.0.sql */

\echo Use "CREATE EXTENSION plangate_stats" to load this file. \quit

-- The functions write the system catalogs. They are revoked from PUBLIC;
-- a role granted EXECUTE may still only change tables it owns.

CREATE FUNCTION set_relation_stats(rel regclass,
                                   relpages integer DEFAULT NULL,
                                   reltuples real DEFAULT NULL,
                                   relallvisible integer DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'plangate_set_relation_stats'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION set_relation_stats(regclass, integer, real, integer) IS
'sets pg_class.relpages, reltuples and relallvisible of a table or index (NULL leaves a value as it is)';

CREATE FUNCTION set_attribute_stats(rel regclass,
                                    attname name,
                                    inherited boolean,
                                    null_frac real DEFAULT NULL,
                                    avg_width integer DEFAULT NULL,
                                    n_distinct real DEFAULT NULL,
                                    most_common_vals text DEFAULT NULL,
                                    most_common_freqs real[] DEFAULT NULL,
                                    histogram_bounds text DEFAULT NULL,
                                    correlation real DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'plangate_set_attribute_stats'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION set_attribute_stats(regclass, name, boolean, real, integer, real, text, real[], text, real) IS
'inserts or updates a column''s pg_statistic row, as pg_stats shows it (NULL leaves a statistic as it is)';

CREATE FUNCTION clear_attribute_stats(rel regclass, attname name, inherited boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'plangate_clear_attribute_stats'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

COMMENT ON FUNCTION clear_attribute_stats(regclass, name, boolean) IS
'deletes a column''s pg_statistic row';

REVOKE ALL ON FUNCTION set_relation_stats(regclass, integer, real, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION set_attribute_stats(regclass, name, boolean, real, integer, real, text, real[], text, real) FROM PUBLIC;
REVOKE ALL ON FUNCTION clear_attribute_stats(regclass, name, boolean) FROM PUBLIC;
