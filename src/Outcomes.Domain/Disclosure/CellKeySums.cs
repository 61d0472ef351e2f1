using Outcomes.Domain.Cohorts;

namespace Outcomes.Domain.Disclosure;

/// For each slot of a report (0: the whole cohort), its counts tallied with record keys as weights: the same cells as
/// the report's, each holding the sum of its courses' record keys. With the grid life tables of its survival samples,
/// and each slot's signature for the differencing lock-out.
internal sealed record CellKeySums(GroupReport[] Slots, SlotLifeTables[] LifeTables, CohortSignatures Signatures);

internal sealed record SlotLifeTables(LifeTable? OnsetDays, LifeTable? OnsetSessions, LifeTable? Durability);
