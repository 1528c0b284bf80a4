using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PaySessions.Api.Http;
using PaySessions.Api.OpenApi;
using PaySessions.Api.Sessions;
using PaySessions.Api.Xendit;

namespace PaySessions.Tests.Api;

/// <summary>
/// The typed answers write what the untyped ones they replaced wrote (<c>TypedResults.Json(value,
/// statusCode)</c>, plus <c>Retry-After</c> where there was one), byte for byte, status and headers
/// included; and a one-of answer refuses a body its description does not list.
/// </summary>
public sealed class TypedAnswerBytesTests
{
    [Fact]
    public async Task Typed_answers_write_the_same_status_headers_and_bytes_as_the_json_results_they_replaced()
    {
        var errors = new Dictionary<string, List<string>> { ["amount"] = ["The amount field is required."], ["currency"] = ["a", "b"] };
        var pairs = new (IResult Typed, IResult Before, int? RetryAfter)[]
        {
            (ApiErrors.Validation(errors), TypedResults.Json(errors, statusCode: 400), null),
            (ApiErrors.BadRequest("Payment method not found"), TypedResults.Json(new ApiErrors.ErrorBody("Payment method not found"), statusCode: 400), null),
            (ApiErrors.Forbidden("IP mismatch"), TypedResults.Json(new ApiErrors.ErrorBody("IP mismatch"), statusCode: 403), null),
            (ApiErrors.SessionNotFound(), TypedResults.Json(new ApiErrors.ErrorBody("Session not found"), statusCode: 404), null),
            (PaymentAnswers.For<Status.Created>("s1", new PaySessions.Grains.Sessions.InitiatePaymentResult(PaySessions.Grains.Sessions.InitiatePaymentOutcome.Initiated, "https://pay.example/x")).Result,
                TypedResults.Json(new PaymentAnswers.RedirectBody("s1", "https://pay.example/x"), statusCode: 201), null),
            (PayvioxErrorShape.RateLimit(RateLimitScope.Customer, "Too many session requests", 7),
                TypedResults.Json(new PayvioxErrorShape.RateLimitBody("rate_limit_exceeded", "Too many session requests", "customer", 7), statusCode: 429), 7),
            (XenditErrors.RateLimit("Too many session requests", 3),
                TypedResults.Json(new XenditErrors.ErrorBody(XenditErrors.RateLimitExceeded, "Too many session requests"), statusCode: 429), 3),
            (XenditErrors.SessionNotFound(), XenditErrors.Error(404, XenditErrors.DataNotFound, XenditErrors.SessionNotFoundMessage), null),
            (XenditErrors.ServerFault(), XenditErrors.Error(500, XenditErrors.ServerError, XenditErrors.ServerErrorMessage), null),
        };

        foreach (var (typed, before, retryAfter) in pairs)
        {
            var (status, contentType, headers, body) = await Written(typed);
            var (wasStatus, wasContentType, _, wasBody) = await Written(before);
            Assert.Equal((wasStatus, wasContentType, wasBody), (status, contentType, body));
            Assert.Equal(retryAfter?.ToString(System.Globalization.CultureInfo.InvariantCulture), headers);
        }
    }

    [Fact]
    public void A_one_of_answer_refuses_a_body_its_description_does_not_list()
    {
        var refused = Assert.Throws<InvalidOperationException>(
            () => Answer.OneOf<Status.Ok, AnyOf<PaymentAnswers.RedirectBody, PaymentAnswers.PaymentErrorBody>, ApiErrors.ErrorBody>(new ApiErrors.ErrorBody("no")));

        Assert.Contains("ErrorBody", refused.Message, StringComparison.Ordinal);
        Assert.Equal(200, Answer.OneOf<Status.Ok, AnyOf<PaymentAnswers.RedirectBody, PaymentAnswers.PaymentErrorBody>, PaymentAnswers.RedirectBody>(new("s", null)).StatusCode);
    }

    // Executed as the service's JSON options configure it (snake case, dictionary keys as sent).
    private static async Task<(int Status, string? ContentType, string? RetryAfter, string Body)> Written(IResult result)
    {
        var services = new ServiceCollection().AddLogging().ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.DictionaryKeyPolicy = null;
        }).BuildServiceProvider();
        using var body = new MemoryStream();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Response.Body = body;
        await result.ExecuteAsync(http);
        var retryAfter = http.Response.Headers.RetryAfter;
        return (http.Response.StatusCode, http.Response.ContentType, retryAfter.Count == 0 ? null : retryAfter.ToString(), Encoding.UTF8.GetString(body.ToArray()));
    }
}
