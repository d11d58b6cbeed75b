/*-------------------------------------------------------------------------
 *
 * stats_import.c
 *		Import a relation's size and a column's statistics, as pg_class and
 *		pg_stats show them, into the catalogs: what PostgreSQL 18's
 *		pg_restore_relation_stats() and pg_restore_attribute_stats() do,
 *		for PostgreSQL 13 and later.
 *
 * pg_statistic's stavalues columns are anyarray, which SQL cannot write.
 * set_attribute_stats() takes them as text, the way pg_stats prints them,
 * reads them with array_in() for the column's type, and stores them in the
 * slots ANALYZE (std_typanalyze) would use, with the same operators and
 * collation, so that the planner's selectivity functions find them.
 *
 * Copyright (c) the plangate authors
 *
 * IDENTIFICATION
 *		ext/plangate_stats/stats_import.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(plangate_set_relation_stats);
PG_FUNCTION_INFO_V1(plangate_set_attribute_stats);
PG_FUNCTION_INFO_V1(plangate_clear_attribute_stats);

/*
 * lock_target
 *		Check that the caller may change a relation's statistics, then lock
 *		it.
 *
 * The caller must own the relation (superusers do); the functions are also
 * revoked from PUBLIC.  Ownership is checked before locking, so that a role
 * cannot hold up someone else's table.  ShareUpdateExclusiveLock is what
 * ANALYZE takes: it keeps a concurrent ANALYZE or schema change out, not
 * readers or writers.
 */
static void
lock_target(Oid relid, bool allow_index)
{
	char		relkind;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("recovery is in progress"),
				 errhint("Statistics cannot be changed during recovery.")));

	relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));

	switch (relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_MATVIEW:
		case RELKIND_PARTITIONED_TABLE:
		case RELKIND_FOREIGN_TABLE:
			break;
		case RELKIND_INDEX:
			if (allow_index)
				break;
			/* FALLTHROUGH */
		default:
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("cannot set statistics of \"%s\"", get_rel_name(relid)),
					 errdetail("Statistics can be set on tables, materialized views and foreign tables%s.",
							   allow_index ? " and indexes" : "")));
	}

#if PG_VERSION_NUM >= 160000
	if (!object_ownercheck(RelationRelationId, relid, GetUserId()))
#else
	if (!pg_class_ownercheck(relid, GetUserId()))
#endif
		aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(relkind),
					   get_rel_name(relid));

	LockRelationOid(relid, ShareUpdateExclusiveLock);
	/* it may have been dropped while we waited for the lock */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
}

/*
 * target_attnum
 *		The number of a user column of the relation, by name.
 */
static AttrNumber
target_attnum(Oid relid, Name attname)
{
	/* get_attnum() does not find dropped columns */
	AttrNumber	attnum = get_attnum(relid, NameStr(*attname));

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						NameStr(*attname), get_rel_name(relid))));
	if (attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot set statistics of system column \"%s\"",
						NameStr(*attname))));
	return attnum;
}

/*
 * plangate_set_relation_stats
 *		set_relation_stats(rel, relpages, reltuples, relallvisible): set
 *		pg_class's size columns of a table or index.  NULL leaves a column
 *		as it is.
 *
 * This is an ordinary transactional update of the pg_class row, as upstream's
 * pg_restore_relation_stats() makes, not the in-place update VACUUM and
 * ANALYZE make: it rolls back with the caller's transaction, needs no
 * version-specific in-place update API (which changed in the 2024 minor
 * releases), and sends the relcache invalidation that makes other sessions
 * replan.  The cost is a dead pg_class tuple per call.
 */
Datum
plangate_set_relation_stats(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int			cols[3];
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	int			ncols = 0;
	Relation	pgclass;
	HeapTuple	oldtup;
	HeapTuple	newtup;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rel must not be null")));
	relid = PG_GETARG_OID(0);
	lock_target(relid, true);

	if (!PG_ARGISNULL(1))
	{
		int32		relpages = PG_GETARG_INT32(1);

		if (relpages < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relpages must not be negative")));
		cols[ncols] = Anum_pg_class_relpages;
		values[ncols++] = Int32GetDatum(relpages);
	}
	if (!PG_ARGISNULL(2))
	{
		float4		reltuples = PG_GETARG_FLOAT4(2);

		/* -1 is "never analyzed" from PostgreSQL 14 on */
		if (isnan(reltuples) || isinf(reltuples) || reltuples < -1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("reltuples must be a finite value of at least -1")));
		cols[ncols] = Anum_pg_class_reltuples;
		values[ncols++] = Float4GetDatum(reltuples);
	}
	if (!PG_ARGISNULL(3))
	{
		int32		relallvisible = PG_GETARG_INT32(3);

		if (relallvisible < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relallvisible must not be negative")));
		cols[ncols] = Anum_pg_class_relallvisible;
		values[ncols++] = Int32GetDatum(relallvisible);
	}
	if (ncols == 0)
		PG_RETURN_VOID();

	pgclass = table_open(RelationRelationId, RowExclusiveLock);
	oldtup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(oldtup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	newtup = heap_modify_tuple_by_cols(oldtup, RelationGetDescr(pgclass),
									   ncols, cols, values, nulls);
	CatalogTupleUpdate(pgclass, &newtup->t_self, newtup);
	heap_freetuple(newtup);
	ReleaseSysCache(oldtup);
	table_close(pgclass, RowExclusiveLock);

	CommandCounterIncrement();
	PG_RETURN_VOID();
}

/*
 * stats_array_length
 *		Check that a statistics array is one-dimensional, not empty and free
 *		of NULLs, as ANALYZE makes them; return its length.
 */
static int
stats_array_length(const char *argname, ArrayType *arr)
{
	if (ARR_NDIM(arr) != 1 || ARR_DIMS(arr)[0] < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a non-empty one-dimensional array", argname)));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not contain nulls", argname)));
	return ARR_DIMS(arr)[0];
}

/*
 * text_to_stavalues
 *		Read pg_stats' text form of a stavalues array ("{a,b}") as an array of
 *		the column's type: array_in() with the column's type and typmod as the
 *		element type, as pg_restore_attribute_stats() does.  Input the type
 *		rejects is an error.
 */
static Datum
text_to_stavalues(const char *argname, text *txt, Oid typid, int32 typmod,
				  int *length)
{
	char	   *str = text_to_cstring(txt);
	Datum		arr = OidInputFunctionCall(F_ARRAY_IN, str, typid, typmod);

	*length = stats_array_length(argname, DatumGetArrayTypeP(arr));
	pfree(str);
	return arr;
}

/*
 * set_stats_slot
 *		Put one statistic into the pg_statistic row being built: into the
 *		slot that already holds that kind, else into the first free one.
 *		A kind without numbers or values has them NULL (numbers_null,
 *		values_null).
 */
static void
set_stats_slot(Datum *values, bool *nulls, int16 kind, Oid op, Oid coll,
			   Datum numbers, bool numbers_null,
			   Datum stavalues, bool values_null)
{
	int			slot = -1;
	int			i;

	for (i = 0; i < STATISTIC_NUM_SLOTS; i++)
	{
		int16		k = DatumGetInt16(values[Anum_pg_statistic_stakind1 - 1 + i]);

		if (k == kind)
		{
			slot = i;
			break;
		}
		if (k == 0 && slot < 0)
			slot = i;
	}
	if (slot < 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("no free statistics slot for statistic kind %d", kind)));

	values[Anum_pg_statistic_stakind1 - 1 + slot] = Int16GetDatum(kind);
	values[Anum_pg_statistic_staop1 - 1 + slot] = ObjectIdGetDatum(op);
	values[Anum_pg_statistic_stacoll1 - 1 + slot] = ObjectIdGetDatum(coll);
	values[Anum_pg_statistic_stanumbers1 - 1 + slot] = numbers;
	nulls[Anum_pg_statistic_stanumbers1 - 1 + slot] = numbers_null;
	values[Anum_pg_statistic_stavalues1 - 1 + slot] = stavalues;
	nulls[Anum_pg_statistic_stavalues1 - 1 + slot] = values_null;
}

/*
 * empty_stats_row
 *		A pg_statistic row for the column with nothing known: all slots
 *		free, and the fraction, width and distinct count that mean "unknown"
 *		(0), as pg_restore_attribute_stats() starts from.
 */
static void
empty_stats_row(Oid relid, AttrNumber attnum, bool inherited,
				Datum *values, bool *nulls)
{
	int			i;

	memset(nulls, true, sizeof(bool) * Natts_pg_statistic);
	values[Anum_pg_statistic_starelid - 1] = ObjectIdGetDatum(relid);
	values[Anum_pg_statistic_staattnum - 1] = Int16GetDatum(attnum);
	values[Anum_pg_statistic_stainherit - 1] = BoolGetDatum(inherited);
	values[Anum_pg_statistic_stanullfrac - 1] = Float4GetDatum(0);
	values[Anum_pg_statistic_stawidth - 1] = Int32GetDatum(0);
	values[Anum_pg_statistic_stadistinct - 1] = Float4GetDatum(0);
	for (i = Anum_pg_statistic_starelid; i <= Anum_pg_statistic_stadistinct; i++)
		nulls[i - 1] = false;
	for (i = 0; i < STATISTIC_NUM_SLOTS; i++)
	{
		values[Anum_pg_statistic_stakind1 - 1 + i] = Int16GetDatum(0);
		nulls[Anum_pg_statistic_stakind1 - 1 + i] = false;
		values[Anum_pg_statistic_staop1 - 1 + i] = ObjectIdGetDatum(InvalidOid);
		nulls[Anum_pg_statistic_staop1 - 1 + i] = false;
		values[Anum_pg_statistic_stacoll1 - 1 + i] = ObjectIdGetDatum(InvalidOid);
		nulls[Anum_pg_statistic_stacoll1 - 1 + i] = false;
	}
}

/*
 * plangate_set_attribute_stats
 *		set_attribute_stats(rel, attname, inherited, null_frac, avg_width,
 *		n_distinct, most_common_vals, most_common_freqs, histogram_bounds,
 *		correlation): insert or update the column's pg_statistic row.
 *
 * The arguments are pg_stats' columns.  NULL leaves a statistic as it is
 * (a new row starts from "unknown"), as with pg_restore_attribute_stats();
 * most_common_vals and most_common_freqs go together.  Operators and
 * collation are those ANALYZE's std_typanalyze() records: the type's default
 * equality operator for the MCV list, its default less-than operator for
 * the histogram and the correlation, and the column's collation.
 */
Datum
plangate_set_attribute_stats(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Name		attname;
	bool		inherited;
	AttrNumber	attnum;
	HeapTuple	atttup;
	Form_pg_attribute attr;
	Oid			typid;
	int32		typmod;
	Oid			collid;
	TypeCacheEntry *typcache;
	Relation	starel;
	TupleDesc	desc;
	HeapTuple	oldtup;
	HeapTuple	newtup;
	Datum		values[Natts_pg_statistic];
	bool		nulls[Natts_pg_statistic];
	bool		replaces[Natts_pg_statistic];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rel, attname and inherited must not be null")));
	relid = PG_GETARG_OID(0);
	attname = PG_GETARG_NAME(1);
	inherited = PG_GETARG_BOOL(2);
	if (PG_ARGISNULL(6) != PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("most_common_vals and most_common_freqs must be given together")));

	lock_target(relid, false);

	attnum = target_attnum(relid, attname);

	atttup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	if (!HeapTupleIsValid(atttup))
		elog(ERROR, "cache lookup failed for attribute %d of relation %u",
			 attnum, relid);
	attr = (Form_pg_attribute) GETSTRUCT(atttup);
	typid = attr->atttypid;
	typmod = attr->atttypmod;
	collid = attr->attcollation;
	ReleaseSysCache(atttup);

	/* looks through domains to the base type's operators */
	typcache = lookup_type_cache(typid, TYPECACHE_EQ_OPR | TYPECACHE_LT_OPR);

	starel = table_open(StatisticRelationId, RowExclusiveLock);
	desc = RelationGetDescr(starel);
	oldtup = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(relid),
							 Int16GetDatum(attnum), BoolGetDatum(inherited));
	if (HeapTupleIsValid(oldtup))
		heap_deform_tuple(oldtup, desc, values, nulls);
	else
		empty_stats_row(relid, attnum, inherited, values, nulls);

	if (!PG_ARGISNULL(3))
	{
		float4		null_frac = PG_GETARG_FLOAT4(3);

		if (!(null_frac >= 0 && null_frac <= 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("null_frac must be between 0 and 1")));
		values[Anum_pg_statistic_stanullfrac - 1] = Float4GetDatum(null_frac);
	}
	if (!PG_ARGISNULL(4))
	{
		int32		avg_width = PG_GETARG_INT32(4);

		if (avg_width < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("avg_width must not be negative")));
		values[Anum_pg_statistic_stawidth - 1] = Int32GetDatum(avg_width);
	}
	if (!PG_ARGISNULL(5))
	{
		float4		n_distinct = PG_GETARG_FLOAT4(5);

		/* a count when positive, minus a fraction of the rows when negative */
		if (!(n_distinct >= -1) || isinf(n_distinct))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("n_distinct must be a finite value of at least -1")));
		values[Anum_pg_statistic_stadistinct - 1] = Float4GetDatum(n_distinct);
	}

	if (!PG_ARGISNULL(6))
	{
		ArrayType  *freqs = PG_GETARG_ARRAYTYPE_P(7);
		int			nvals;
		Datum		mcv;

		if (!OidIsValid(typcache->eq_opr))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("cannot set most_common_vals of column \"%s\": type %s has no default equality operator",
							NameStr(*attname), format_type_be(typid))));
		mcv = text_to_stavalues("most_common_vals", PG_GETARG_TEXT_PP(6),
								typid, typmod, &nvals);
		if (stats_array_length("most_common_freqs", freqs) != nvals)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("most_common_vals and most_common_freqs must have as many elements")));
		set_stats_slot(values, nulls, STATISTIC_KIND_MCV,
					   typcache->eq_opr, collid,
					   PointerGetDatum(freqs), false, mcv, false);
	}
	if (!PG_ARGISNULL(8) || !PG_ARGISNULL(9))
	{
		if (!OidIsValid(typcache->lt_opr))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("cannot set histogram_bounds or correlation of column \"%s\": type %s has no default less-than operator",
							NameStr(*attname), format_type_be(typid))));
	}
	if (!PG_ARGISNULL(8))
	{
		int			nbounds;
		Datum		bounds = text_to_stavalues("histogram_bounds", PG_GETARG_TEXT_PP(8),
											   typid, typmod, &nbounds);

		if (nbounds < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("histogram_bounds must have at least two elements")));
		set_stats_slot(values, nulls, STATISTIC_KIND_HISTOGRAM,
					   typcache->lt_opr, collid,
					   (Datum) 0, true, bounds, false);
	}
	if (!PG_ARGISNULL(9))
	{
		float4		correlation = PG_GETARG_FLOAT4(9);
		Datum		elem = Float4GetDatum(correlation);
		ArrayType  *numbers;

		if (!(correlation >= -1 && correlation <= 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("correlation must be between -1 and 1")));
		/* float4 is passed by value from PostgreSQL 13 on */
		numbers = construct_array(&elem, 1, FLOAT4OID, sizeof(float4), true,
								  TYPALIGN_INT);
		set_stats_slot(values, nulls, STATISTIC_KIND_CORRELATION,
					   typcache->lt_opr, collid,
					   PointerGetDatum(numbers), false, (Datum) 0, true);
	}

	/*
	 * Write the whole row, as ANALYZE's update_attstats() does; heap_update
	 * of pg_statistic invalidates the syscache entry the planner reads.
	 */
	if (HeapTupleIsValid(oldtup))
	{
		memset(replaces, true, sizeof(replaces));
		newtup = heap_modify_tuple(oldtup, desc, values, nulls, replaces);
		CatalogTupleUpdate(starel, &newtup->t_self, newtup);
		ReleaseSysCache(oldtup);
	}
	else
	{
		newtup = heap_form_tuple(desc, values, nulls);
		CatalogTupleInsert(starel, newtup);
	}
	heap_freetuple(newtup);
	table_close(starel, RowExclusiveLock);

	/*
	 * Nothing in pg_class changed, so no relcache invalidation was sent:
	 * send one, so that plans other sessions cached for the table are made
	 * again with the new statistics.
	 */
	CacheInvalidateRelcacheByRelid(relid);
	CommandCounterIncrement();
	PG_RETURN_VOID();
}

/*
 * plangate_clear_attribute_stats
 *		clear_attribute_stats(rel, attname, inherited): delete the column's
 *		pg_statistic row, as pg_clear_attribute_stats() does, so that a
 *		set_attribute_stats() after it writes the whole row anew instead of
 *		keeping the statistics it is not given.
 */
Datum
plangate_clear_attribute_stats(PG_FUNCTION_ARGS)
{
	Oid			relid;
	AttrNumber	attnum;
	bool		inherited;
	Relation	starel;
	HeapTuple	tuple;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rel, attname and inherited must not be null")));
	relid = PG_GETARG_OID(0);
	inherited = PG_GETARG_BOOL(2);
	lock_target(relid, false);
	attnum = target_attnum(relid, PG_GETARG_NAME(1));

	starel = table_open(StatisticRelationId, RowExclusiveLock);
	tuple = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(relid),
							Int16GetDatum(attnum), BoolGetDatum(inherited));
	if (HeapTupleIsValid(tuple))
	{
		CatalogTupleDelete(starel, &tuple->t_self);
		ReleaseSysCache(tuple);
	}
	table_close(starel, RowExclusiveLock);

	CacheInvalidateRelcacheByRelid(relid);
	CommandCounterIncrement();
	PG_RETURN_VOID();
}
