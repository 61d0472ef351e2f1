using Outcomes.Contracts;

namespace Outcomes.Cli.Demo;

/// <summary>
/// How one simulated clinic works and feeds data: its time zone, how often it gives the PHQ-9, whether
/// its EHR sends item scores, totals or both, and its modality mix. Clinics differ on purpose, as real
/// feeds do.
/// </summary>
public sealed record ClinicProfile(
    string ClinicId,
    int UtcOffsetHours,
    bool AssessesAtEverySession,
    bool SendsTotalWithItems,
    double TotalOnlyShare,
    double[] ModalityWeights,
    double Size)
{
    public const int MaxClinics = 26;

    // Order of weights: IV, IM, intranasal esketamine, oral, ketamine-assisted psychotherapy.
    private static readonly Modality[] ModalityOrder =
    [
        Modality.IvKetamine, Modality.ImKetamine, Modality.IntranasalEsketamine, Modality.OralKetamine,
        Modality.KetamineAssistedPsychotherapy,
    ];

    private static readonly double[][] Mixes =
    [
        [0.62, 0.08, 0.15, 0.07, 0.08],
        [0.40, 0.05, 0.42, 0.05, 0.08],
        [0.55, 0.20, 0.05, 0.05, 0.15],
        [0.72, 0.05, 0.10, 0.08, 0.05],
    ];

    // US clinics on standard time (Eastern, Central, Pacific, Mountain); daylight saving is ignored.
    private static readonly int[] Offsets = [-5, -6, -8, -7];

    public Modality PickModality(DemoRandom random) => ModalityOrder[random.Pick(ModalityWeights)];

    /// <summary>The first <paramref name="count"/> clinics, "clinic-a", "clinic-b", ...; earlier clinics are larger.</summary>
    public static IReadOnlyList<ClinicProfile> ForCount(int count) =>
        Enumerable.Range(0, count).Select(j => new ClinicProfile(
            ClinicId: $"clinic-{(char)('a' + j)}",
            UtcOffsetHours: Offsets[j % Offsets.Length],
            AssessesAtEverySession: j % 2 == 0,
            SendsTotalWithItems: j % 3 != 1,
            TotalOnlyShare: j % 4 == 3 ? 0.35 : 0.03,
            ModalityWeights: Mixes[j % Mixes.Length],
            Size: 1.0 / Math.Sqrt(j + 1))).ToArray();
}
