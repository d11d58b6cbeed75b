/*-------------------------------------------------------------------------
 *
 * plangate_stats.c
 *		Make the planner believe pg_class about the size of tables and
 *		indexes, so that statistics imported from production hold on a small
 *		CI database.
 *
 * The planner does not take pg_class.reltuples as a table's row count:
 * estimate_rel_size() (plancat.c) divides reltuples by relpages to get a
 * density, and multiplies it by the number of pages the table has on disk
 * now.  Production's reltuples on a CI table a hundredth of its size thus
 * become a hundredth of production's rows again.  With
 * plangate_stats.use_catalog_sizes on, a get_relation_info_hook puts
 * pg_class's relpages, reltuples and relallvisible back, for tables and
 * materialized views that have been analyzed (or had statistics imported),
 * and for their indexes.
 *
 * Load it with session_preload_libraries (ALTER DATABASE ... SET
 * session_preload_libraries = 'plangate_stats'), shared_preload_libraries,
 * or LOAD 'plangate_stats' in a session.
 *
 * Copyright (c) the plangate authors
 *
 * IDENTIFICATION
 *		ext/plangate_stats/plangate_stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "optimizer/plancat.h"
#include "storage/block.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* GUC: plangate_stats.use_catalog_sizes */
static bool use_catalog_sizes = true;

static get_relation_info_hook_type prev_get_relation_info_hook = NULL;

/*
 * Sizes read from a relation's pg_class row.
 */
typedef struct CatalogSize
{
	BlockNumber pages;
	double		tuples;
	BlockNumber allvisible;
} CatalogSize;

/*
 * catalog_size
 *		Read relpages, reltuples and relallvisible of a relation.
 *
 * Returns false when the relation has never been analyzed (nor had its
 * statistics imported): then pg_class knows nothing better than the disk.
 * PostgreSQL 14 marks that state with reltuples = -1; before 14 it is
 * relpages = reltuples = 0, which an analyzed empty table shares, and for
 * which the planner's own guess is as good.
 */
static bool
catalog_size(Oid relid, CatalogSize *size)
{
	HeapTuple	tuple;
	Form_pg_class form;
	bool		known;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return false;
	form = (Form_pg_class) GETSTRUCT(tuple);

#if PG_VERSION_NUM >= 140000
	known = form->reltuples >= 0;
#else
	known = form->relpages > 0 || form->reltuples > 0;
#endif
	if (known)
	{
		size->pages = (BlockNumber) Max(form->relpages, 0);
		size->tuples = form->reltuples;
		size->allvisible = (BlockNumber) Max(form->relallvisible, 0);
	}
	ReleaseSysCache(tuple);
	return known;
}

/*
 * use_catalog_index_sizes
 *		Size the indexes of a table whose own size came from pg_class.
 *
 * get_relation_info() set a plain index's tuples to the table's on-disk
 * estimate and its pages to its size on disk; a partial index's from its
 * own density.  The statistics file plangate imports holds tables only, so
 * an index's pg_class row is usually the CI index's, not production's.
 *
 *	- A plain index holds a tuple per table row: its tuples are the table's
 *	  catalog tuples, as get_relation_info() would have them.  Its pages are
 *	  its pg_class relpages scaled by table tuples / index reltuples, that is
 *	  at the index's own density; when the index's row was imported along
 *	  with the table's the two agree and relpages is taken as it is.
 *	- A partial index holds the rows its predicate selects, which the table's
 *	  row count does not tell: its pg_class row is taken as it is, with its
 *	  tuples capped at the table's (as get_relation_info() caps them).
 *
 * Indexes never analyzed keep the planner's estimate, capped likewise.
 */
static void
use_catalog_index_sizes(RelOptInfo *rel)
{
	ListCell   *lc;

	foreach(lc, rel->indexlist)
	{
		IndexOptInfo *index = (IndexOptInfo *) lfirst(lc);
		CatalogSize size;
		bool		known = catalog_size(index->indexoid, &size);

		if (index->indpred == NIL)
		{
			if (known && size.tuples > 0 && size.pages > 0)
			{
				double		pages = ceil(size.pages * (rel->tuples / size.tuples));

				index->pages = (BlockNumber) Max(Min(pages, (double) MaxBlockNumber), 1.0);
			}
			index->tuples = rel->tuples;
		}
		else
		{
			if (known)
			{
				index->pages = size.pages;
				index->tuples = size.tuples;
			}
			if (index->tuples > rel->tuples)
				index->tuples = rel->tuples;
		}
	}
}

/*
 * plangate_get_relation_info
 *		get_relation_info_hook: replace the planner's size estimates of a
 *		table and its indexes with their pg_class rows.
 *
 * Inheritance parents and partitioned tables are left alone: the planner
 * sizes them as the sum of their children, each of which comes through here
 * on its own.  So are foreign tables (their FDW estimates them), and
 * relations never analyzed.
 */
static void
plangate_get_relation_info(PlannerInfo *root, Oid relationObjectId,
						   bool inhparent, RelOptInfo *rel)
{
	if (prev_get_relation_info_hook)
		prev_get_relation_info_hook(root, relationObjectId, inhparent, rel);

	if (use_catalog_sizes && !inhparent)
	{
		char		relkind = get_rel_relkind(relationObjectId);
		CatalogSize size;

		if ((relkind == RELKIND_RELATION || relkind == RELKIND_MATVIEW) &&
			catalog_size(relationObjectId, &size))
		{
			rel->pages = size.pages;
			rel->tuples = size.tuples;
			/* as estimate_rel_size() computes it, against relpages */
			if (size.pages > 0 && size.allvisible > 0)
				rel->allvisfrac = Min((double) size.allvisible / size.pages, 1.0);
			else
				rel->allvisfrac = 0;
			use_catalog_index_sizes(rel);
		}
	}
}

/*
 * Module load: define the GUC and install the hook.
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("plangate_stats.use_catalog_sizes",
							 "Plans with table and index sizes from pg_class instead of their size on disk.",
							 "With this on, the planner takes relpages, reltuples and relallvisible of analyzed "
							 "tables, materialized views and their indexes as they are, instead of scaling "
							 "reltuples by the number of pages on disk.",
							 &use_catalog_sizes,
							 true,
							 PGC_USERSET,
							 0,
							 NULL,
							 NULL,
							 NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("plangate_stats");
#else
	EmitWarningsOnPlaceholders("plangate_stats");
#endif

	prev_get_relation_info_hook = get_relation_info_hook;
	get_relation_info_hook = plangate_get_relation_info;
}
