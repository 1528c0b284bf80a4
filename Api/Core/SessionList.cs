namespace PaySessions.Api.Core;

/// <summary>
/// A page of sessions in either dialect: <c>{"data":[…],"has_more":bool}</c>, <c>data</c> newest
/// first, each element the very object the dialect's single GET answers. <c>has_more</c> says
/// whether more sessions match in the direction paged.
/// </summary>
public sealed record SessionList<T>(IReadOnlyList<T> Data, bool HasMore);
