using System.Text.Json.Serialization;

namespace Outcomes.Domain.Courses;

// Stored-event vocabulary. It mirrors the wire contract's enumerations on purpose but is owned here,
// so the wire can version without rewriting stored history. Stored and served with the clinic's
// words ("25-34", "iv-ketamine"), the same spelling integration engines send.

[JsonConverter(typeof(JsonStringEnumConverter<AgeBand>))]
public enum AgeBand
{
    [JsonStringEnumMemberName("18-24")] From18To24,
    [JsonStringEnumMemberName("25-34")] From25To34,
    [JsonStringEnumMemberName("35-44")] From35To44,
    [JsonStringEnumMemberName("45-54")] From45To54,
    [JsonStringEnumMemberName("55-64")] From55To64,
    [JsonStringEnumMemberName("65-74")] From65To74,
    [JsonStringEnumMemberName("75-89")] From75To89,
    [JsonStringEnumMemberName("90+")] From90,
}

[JsonConverter(typeof(JsonStringEnumConverter<Sex>))]
public enum Sex
{
    [JsonStringEnumMemberName("female")] Female,
    [JsonStringEnumMemberName("male")] Male,
    [JsonStringEnumMemberName("other")] Other,
    [JsonStringEnumMemberName("unknown")] Unknown,
}

[JsonConverter(typeof(JsonStringEnumConverter<DiagnosisGroup>))]
public enum DiagnosisGroup
{
    [JsonStringEnumMemberName("major-depressive-disorder")] MajorDepressiveDisorder,
    [JsonStringEnumMemberName("treatment-resistant-depression")] TreatmentResistantDepression,
    [JsonStringEnumMemberName("bipolar-depression")] BipolarDepression,
    [JsonStringEnumMemberName("depression-with-ptsd")] DepressionWithPtsd,
    [JsonStringEnumMemberName("other")] Other,
}

[JsonConverter(typeof(JsonStringEnumConverter<Modality>))]
public enum Modality
{
    [JsonStringEnumMemberName("iv-ketamine")] IvKetamine,
    [JsonStringEnumMemberName("im-ketamine")] ImKetamine,
    [JsonStringEnumMemberName("intranasal-esketamine")] IntranasalEsketamine,
    [JsonStringEnumMemberName("oral-ketamine")] OralKetamine,
    [JsonStringEnumMemberName("ketamine-assisted-psychotherapy")] KetamineAssistedPsychotherapy,
}

[JsonConverter(typeof(JsonStringEnumConverter<DoseUnit>))]
public enum DoseUnit
{
    [JsonStringEnumMemberName("mg")] Milligrams,
    [JsonStringEnumMemberName("mg/kg")] MilligramsPerKilogram,
}

[JsonConverter(typeof(JsonStringEnumConverter<Route>))]
public enum Route
{
    [JsonStringEnumMemberName("intravenous")] Intravenous,
    [JsonStringEnumMemberName("intramuscular")] Intramuscular,
    [JsonStringEnumMemberName("intranasal")] Intranasal,
    [JsonStringEnumMemberName("oral")] Oral,
    [JsonStringEnumMemberName("sublingual")] Sublingual,
}

[JsonConverter(typeof(JsonStringEnumConverter<CourseEndReason>))]
public enum CourseEndReason
{
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("discontinued-adverse-effects")] DiscontinuedAdverseEffects,
    [JsonStringEnumMemberName("lost-to-follow-up")] LostToFollowUp,
    [JsonStringEnumMemberName("other")] Other,
}
